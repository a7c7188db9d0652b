/**
 * The generated docs site in real headless Chromium, opened from file:// as a user would: every
 * flow page reached from the index, the search used, no console error, no request beyond file://,
 * and a hostile label shown as text. Screenshots land in test/.out/ for a human look.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeDocs } from "../../compiler/docs/write.js";
import { checkFiles, findMapFiles } from "../../compiler/project.js";
import { mutate, ROOT, seed, SEED_FILES } from "../support/seeds.js";

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) console.warn(`docs-site browser tests skipped: no Chromium at ${CHROMIUM} (install Debian's chromium to run them)`);

const OUT = join(ROOT, "test/.out");
const WORK = join(OUT, "docs-site");
const HOSTILE = "<script>alert(1)</script> \"double\" 'single' `backtick`";
const HOSTILE_TITLE = `Hostile ${HOSTILE}`;

/** A copy of the seeds plus a flow whose title and labels try to become markup. */
function buildSite(): string {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(join(WORK, "mappings"), { recursive: true });
  writeFileSync(join(WORK, SEED_FILES.guanyi), seed("guanyi"));
  writeFileSync(join(WORK, SEED_FILES.banniu), seed("banniu"));
  let hostile = mutate(seed("guanyi"), "mapping guanyi_shops_to_kingdee_customers ", "mapping hostile_labels ");
  hostile = mutate(hostile, '"管易云店铺同步为金蝶客户"', JSON.stringify(HOSTILE_TITLE));
  hostile = mutate(hostile, '"客户名称"', JSON.stringify(HOSTILE));
  hostile = mutate(hostile, "/// 客户同步：管易云店铺 → 金蝶云星空客户", "/// <img src=x onerror=alert(2)> is text too");
  writeFileSync(join(WORK, "mappings/zz-hostile.map"), hostile);
  const results = checkFiles(findMapFiles(["mappings"], WORK), WORK);
  const errors = results.flatMap((r) => r.diagnostics).filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(JSON.stringify(errors, null, 2));
  writeDocs(results, "site", "html", WORK);
  return join(WORK, "site");
}

const LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe.skipIf(!HAS_CHROMIUM)(`docs site in headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  let page: Page;
  let site = "";
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  const dialogs: string[] = [];

  beforeAll(async () => {
    site = buildSite();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("request", (r) => requests.push(r.url()));
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  const indexUrl = (): string => pathToFileURL(join(site, "index.html")).href;

  it("follows the index to every flow page and finds its field table and lineage diagram", async () => {
    await page.goto(indexUrl());
    await expect.poll(() => page.locator("#search-status").textContent()).toBe("3 flows");
    const links = page.locator("a.flow-link");
    expect(await links.count()).toBe(3);
    const expected = [
      { title: "更新班牛货品", fields: 4 },
      { title: "管易云店铺同步为金蝶客户", fields: 6 },
      { title: HOSTILE_TITLE, fields: 6 },
    ];
    for (const [i, flow] of expected.entries()) {
      const link = page.locator("a.flow-link").nth(i);
      expect(await link.textContent()).toBe(flow.title);
      await Promise.all([page.waitForURL(/\/flows\/.+\.html$/), link.click()]);
      expect(await page.locator("h1").textContent()).toBe(flow.title);
      const rows = page.locator("table.fields > tbody > tr");
      expect(await rows.count()).toBe(flow.fields);
      const svg = page.locator("figure.lineage svg.lineage");
      await expect.poll(() => svg.isVisible()).toBe(true);
      expect(await svg.locator("g.node.target").count()).toBe(flow.fields);
      const box = await svg.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(500);
      if (i === 1) {
        await page.screenshot({ path: join(OUT, "docs-flow.png"), fullPage: true });
        // On a phone the page itself never scrolls sideways: wide tables scroll inside their frame.
        await page.setViewportSize({ width: 390, height: 844 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        await page.screenshot({ path: join(OUT, "docs-flow-phone.png"), fullPage: false });
        await page.setViewportSize({ width: 1280, height: 900 });
      }
      await page.goBack();
    }
  });

  it("searches flows by name, field and label", async () => {
    await page.goto(indexUrl());
    const search = page.locator("#search");
    const visibleTitles = () => page.locator("tr[data-flow]:visible a.flow-link").allTextContents();

    await search.fill("客户名称");
    await expect.poll(visibleTitles).toEqual(["管易云店铺同步为金蝶客户"]);
    expect(await page.locator("tr[data-flow]:visible .hits").textContent()).toBe("Fields: FName (客户名称)");

    await search.fill("task_id");
    await expect.poll(visibleTitles).toEqual(["更新班牛货品"]);

    await search.fill("<script>");
    await expect.poll(visibleTitles).toEqual([HOSTILE_TITLE]);

    await search.fill("no such thing");
    await expect.poll(visibleTitles).toEqual([]);
    expect(await page.locator("#search-status").textContent()).toBe("0 of 3 flows match");

    await search.fill("FName");
    await expect.poll(visibleTitles).toEqual(["管易云店铺同步为金蝶客户", HOSTILE_TITLE]);
    await page.screenshot({ path: join(OUT, "docs-index-search.png"), fullPage: true });
    await search.fill("");
    await expect.poll(visibleTitles).toHaveLength(3);
    await page.screenshot({ path: join(OUT, "docs-index.png"), fullPage: true });
  });

  it("shows a hostile label as text, never as markup", async () => {
    await page.goto(pathToFileURL(join(site, "flows/zz-hostile.html")).href);
    expect(await page.locator("h1").textContent()).toBe(HOSTILE_TITLE);
    const label = page.locator("table.fields > tbody > tr").first().locator("td").nth(2);
    expect(await label.textContent()).toBe(HOSTILE);
    expect(await label.isVisible()).toBe(true);
    expect(await page.getByText("<img src=x onerror=alert(2)> is text too").isVisible()).toBe(true);
    expect(await page.locator("main script, main img").count()).toBe(0);
    expect(await page.locator("svg.lineage g.node.target title").first().textContent()).toBe(`FName — ${HOSTILE}`);
    await page.goto(pathToFileURL(join(site, "systems.html")).href);
    expect(await page.locator("h2").count()).toBe(3);
    await page.screenshot({ path: join(OUT, "docs-systems.png"), fullPage: true });
  });

  // Runs last (vitest keeps declaration order within a file): everything above has loaded by now.
  it("fired no dialog, logged no console error and requested nothing beyond file://", () => {
    expect(dialogs).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith("file://"))).toEqual([]);
  });
});

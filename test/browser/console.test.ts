import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ShopRecord } from "../../connectors/http/test-server.js";
import { startServer, type ConsoleServer } from "../../serve/index.js";
import { flowOf, startBench, type Bench } from "../support/runtime.js";
import { ROOT } from "../support/seeds.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(`test/browser/console.test.ts skipped: ${CHROMIUM} is not installed (apt-get install chromium fonts-liberation fonts-noto-cjk)`);
}

const OUT = join(ROOT, "test", ".out");
const SHOPS = readFileSync(`${ROOT}test/fixtures/flows/shops.map`, "utf8");
/** The flow as the user fixed it after the dead letter: an empty name falls back to the code. A rate gives the quota column something to show. */
const FIXED = SHOPS.replace("name : string  <- name", 'name : string  <- if name == "" then code else name').replace("  batch   50\n", "  batch   50\n  rate    20/s\n");
const FLOW = "shops_to_customers";
const TOKEN = "browser-console-token-7d1e";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

describe.skipIf(!HAVE_CHROMIUM)("the console in Chromium", () => {
  let bench: Bench;
  let cwd: string;
  let server: ConsoleServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let bad: ShopRecord;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    expect(FIXED).toContain('if name == "" then code else name');
    expect(FIXED).toContain("rate    20/s");
    bench = await startBench({ records: 30 });
    bad = bench.server.source.records()[4]!;
    bench.server.source.update([bad.id], { name: "" });
    const summary = await bench.run(flowOf(SHOPS), { to: "2024-09-08 00:00:00" });
    expect(summary).toMatchObject({ written: 29, deadLettered: 1 });
    expect(bench.server.target.writes(bad.code)).toBe(0);

    // The console replays with the flow of <cwd>/mappings/, as `ferry replay shops_to_customers` would.
    cwd = mkdtempSync(join(tmpdir(), "ferry-console-"));
    mkdirSync(join(cwd, "mappings"));
    writeFileSync(join(cwd, "mappings", "shops.map"), FIXED);
    const env = { FERRY_HTTP_URL: bench.server.url, FERRY_STATE_DIR: bench.dir, FERRY_HTTP_TOKEN: "http-token-never-shown" };
    server = await startServer({ host: "127.0.0.1", port: 0, store: bench.store, cwd, env });

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await bench?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it("lists the flow with its health and last run", async () => {
    await page.goto(server.url);
    const card = page.locator(`article[data-flow="${FLOW}"]`);
    await card.waitFor();
    expect(await card.locator(".badge").first().textContent()).toBe("dead letters");
    expect(await card.textContent()).toContain("30 read · 29 written · 0 unchanged · 1 dead-lettered");
    const fonts = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    expect(fonts).toContain('"Noto Sans CJK SC"');
    await page.screenshot({ path: join(OUT, "console-overview.png"), fullPage: true });
  });

  it("shows the dead letter with its reason and payload, and Replay writes it with the fixed flow", async () => {
    await page.locator(`article[data-flow="${FLOW}"]`).getByRole("link", { name: "1 need attention" }).click();
    await page.waitForURL(`**/flows/${FLOW}/dead-letters`);
    const letter = page.locator(`article[data-source-id="${bad.id}"]`);
    expect(await letter.getAttribute("data-state")).toBe("open");
    expect(await letter.locator(".reason").textContent()).toBe("name is required");
    expect(JSON.parse((await letter.locator("pre").first().textContent()) ?? "")).toMatchObject({ id: bad.id, code: bad.code, name: "" });
    await page.screenshot({ path: join(OUT, "console-dead-letters.png"), fullPage: true });

    await page.getByRole("button", { name: "Replay 1 dead letter" }).click();
    await page.waitForURL(/\/dead-letters\?outcome=/);
    expect(await page.locator("#outcome").textContent()).toMatch(/^shops_to_customers: replayed 1, 1 written, 0 still failing \(run #\d+\)$/);
    const replayed = page.locator(`article[data-source-id="${bad.id}"]`);
    expect(await replayed.getAttribute("data-state")).toBe("replayed");
    expect(await replayed.locator(".badge.ok").textContent()).toBe("replayed");
    expect(bench.server.target.writes(bad.code)).toBe(1);
    expect(bench.server.target.row(bad.code)).toMatchObject({ code: bad.code, name: bad.code });
    expect(await page.getByRole("button", { name: /Replay/ }).count()).toBe(0);
    await page.screenshot({ path: join(OUT, "console-replayed.png"), fullPage: true });

    // Reloading the result page shows it again; it does not post again.
    await page.reload();
    expect(bench.server.target.writes(bad.code)).toBe(1);
  });

  it("shows API usage with calls of http /shops and http /customers, and the replay's quota use", async () => {
    await page.getByRole("link", { name: "API usage" }).click();
    await page.waitForURL("**/usage");
    for (const op of ["/shops", "/customers"]) {
      const row = page.locator(`tr[data-system="http"][data-operation="${op}"]`);
      expect(Number(await row.getAttribute("data-calls")), op).toBeGreaterThan(0);
      expect(Number((await row.locator("td").nth(2).textContent())?.replace(/,/g, "")), op).toBeGreaterThan(0);
      // Failed attempts and failed calls are shown apart, each with its rate (none failed here).
      expect(await row.getAttribute("data-failed-attempts"), op).toBe("0");
      expect(await row.locator("td").nth(4).textContent(), op).toBe("0 (0 %)");
      expect(await row.locator("td").nth(5).textContent(), op).toBe("0 (0 %)");
    }
    const headers = await page.locator("table").first().locator("th").allTextContents();
    expect(headers.slice(2, 6)).toEqual(["calls", "retries", "failed attempts", "failed calls"]);
    // The replay ran on the real clock, so it is within the last 48 h; its target has `rate 20/s` in mappings/.
    const quota = page.locator(`tr[data-flow="${FLOW}"][data-operation="/customers"]`);
    expect(await quota.locator("td").nth(3).textContent()).toBe("1");
    expect(await quota.locator("td").nth(5).textContent()).toBe("20/s = 72,000/h");
    expect(await quota.locator("td").nth(6).textContent()).toMatch(/^\d+(\.\d)? %$/);
    await page.screenshot({ path: join(OUT, "console-usage.png"), fullPage: true });
  });

  it("shows the data-quality page", async () => {
    await page.getByRole("link", { name: "Data quality" }).click();
    await page.waitForURL("**/quality");
    expect(await page.locator("h2").first().textContent()).toContain(FLOW);
    await page.screenshot({ path: join(OUT, "console-quality.png"), fullPage: true });
  });

  it("follows a running run live: the page polls once a second and stops when the run ends", async () => {
    const id = await bench.store.startRun(FLOW, Date.now(), false);
    await bench.store.progress(id, { read: 100, written: 90, unchanged: 0, deadLettered: 0 });
    await page.goto(server.url);
    await page.getByRole("link", { name: `run #${id} — watch live` }).click();
    await page.waitForURL(`**/runs/${id}`);
    expect(await page.locator("#status").textContent()).toBe("running");
    expect(await page.locator('[data-field="read"]').textContent()).toBe("100");

    const polls: string[] = [];
    page.on("request", (r) => {
      if (r.url().endsWith(`/api/runs/${id}`)) polls.push(r.url());
    });
    await bench.store.progress(id, { read: 2500, written: 2400, unchanged: 50, deadLettered: 0 });
    await expect.poll(() => page.locator('[data-field="read"]').textContent(), { timeout: 5000 }).toBe("2,500");
    expect(await page.locator('[data-field="written"]').textContent()).toBe("2,400");
    await page.screenshot({ path: join(OUT, "console-live.png"), fullPage: true });

    await bench.store.finishRun(id, Date.now(), "ok", { read: 3000, written: 2950, unchanged: 50, deadLettered: 0 }, null);
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 5000 }).toBe("ok");
    expect(await page.locator('[data-field="read"]').textContent()).toBe("3,000");
    expect(await page.locator('[data-field="took"]').textContent()).toMatch(/^\d+\.\d s$/);
    const afterEnd = polls.length;
    await page.waitForTimeout(1500);
    expect(polls.length).toBe(afterEnd);
    expect(afterEnd).toBeGreaterThanOrEqual(2);
  });

  it("reads on a phone: no page-wide sideways scroll, Chinese payloads in a CJK font", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      p.on("console", (m) => {
        if (m.type() === "error") errors.push(`phone: ${m.text()}`);
      });
      for (const [path, shot] of [["/", "console-phone-overview.png"], [`/flows/${FLOW}/dead-letters`, "console-phone-dead-letters.png"], ["/usage", "console-phone-usage.png"], [`/flows/${FLOW}`, "console-phone-flow.png"]] as const) {
        await p.goto(new URL(path, server.url).toString());
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, path).toBeLessThanOrEqual(0);
        await p.screenshot({ path: join(OUT, shot), fullPage: true });
      }
      const chinese = await p.evaluate(() => document.fonts.check('16px "Noto Sans CJK SC"', "杭州"));
      expect(chinese).toBe(true);
    } finally {
      await phone.close();
    }
  });

  it("logged no console error or warning on any page", () => {
    expect(errors).toEqual([]);
  });

  it("with a token: ?token= once signs the browser in with an HttpOnly cookie and leaves the address", async () => {
    const guarded = await startServer({ host: "127.0.0.1", port: 0, token: TOKEN, store: bench.store, cwd, env: { FERRY_SERVE_TOKEN: TOKEN } });
    const fresh = await browser.newContext();
    try {
      const p = await fresh.newPage();
      const denied = await p.goto(guarded.url);
      expect(denied?.status()).toBe(401);
      const res = await p.goto(`${guarded.url}?token=${TOKEN}`);
      expect(res?.status()).toBe(200);
      expect(p.url()).toBe(guarded.url);
      await p.locator(`article[data-flow="${FLOW}"]`).waitFor();
      expect(await p.evaluate(() => document.cookie)).toBe("");
      const [cookie] = await fresh.cookies();
      expect(cookie).toMatchObject({ name: "ferry_console", httpOnly: true, sameSite: "Strict" });
      expect(cookie?.value).not.toContain(TOKEN);
      await p.getByRole("link", { name: "API usage" }).click();
      await p.waitForURL(`${guarded.url}usage`);
      expect(await p.locator("h1").textContent()).toBe("API usage");
      expect(await p.content()).not.toContain(TOKEN);
    } finally {
      await fresh.close();
      await guarded.close();
    }
  });
});

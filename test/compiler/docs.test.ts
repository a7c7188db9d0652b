import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { benchDocs } from "../../bench/docs.js";
import { docsCommand } from "../../cli/commands/docs.js";
import type { Io } from "../../cli/io.js";
import { checkSource } from "../../compiler/compile.js";
import { describeExpr, exprInputs, transformLabel, type ExprScope } from "../../compiler/docs/describe-expr.js";
import { escapeHtml, escapeMarkdown, jsonForScript } from "../../compiler/docs/escape.js";
import { paragraphs } from "../../compiler/docs/site-model.js";
import { checkDocs, renderDocs, writeDocs, type DocsFormat } from "../../compiler/docs/write.js";
import type { EachModel, FieldModel, FlowModel } from "../../compiler/model.js";
import { checkFiles, findMapFiles, type FileResult } from "../../compiler/project.js";
import { mutate, ROOT, seed, SEED_FILES } from "../support/seeds.js";

const GOLDEN = join(ROOT, "test/fixtures/golden/docs");
const OUT = "docs/site";

/** The two seed flows, checked as `ferry docs` checks them. */
function seedResults(): FileResult[] {
  return checkFiles(findMapFiles(Object.values(SEED_FILES), ROOT), ROOT);
}

/** A FileResult for a .map text that must check clean. */
function result(text: string, file: string): FileResult {
  const checked = checkSource(text, file);
  if (!checked.model) throw new Error(JSON.stringify(checked.diagnostics, null, 2));
  return { file, outName: file.replace(/^.*\//, "").replace(/\.map$/, ""), text, model: checked.model, diagnostics: checked.diagnostics };
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split("\\").join("/"))
    .sort();
}

describe("ferry docs golden files", () => {
  it.each(["html", "md"] as const)("the %s site of the seed flows matches its golden files", (format: DocsFormat) => {
    const files = renderDocs(seedResults(), OUT, format, ROOT);
    const dir = join(GOLDEN, format);
    if (process.env.UPDATE_GOLDEN === "1" || !existsSync(dir)) {
      rmSync(dir, { recursive: true, force: true });
      for (const [path, content] of files) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      if (process.env.UPDATE_GOLDEN !== "1") throw new Error(`golden files in ${dir} were missing and have been written; check them and run again`);
    }
    expect([...files.keys()]).toEqual(listFiles(dir));
    for (const [path, content] of files) expect(content, path).toBe(readFileSync(join(dir, path), "utf8"));
  });

  it.each(["html", "md"] as const)("%s: the same sources give the same bytes, whatever their order", (format: DocsFormat) => {
    const a = renderDocs(seedResults(), OUT, format, ROOT);
    const b = renderDocs(seedResults().reverse(), OUT, format, ROOT);
    expect([...b.entries()]).toEqual([...a.entries()]);
    for (const content of a.values()) expect(content).not.toMatch(/\b20\d\d-\d\d-\d\d[T ]\d\d:\d\d/); // no timestamp
  });

  it("links every field, rule and example to its .map line, relative to the page", () => {
    const page = renderDocs(seedResults(), OUT, "html", ROOT).get("flows/guanyi-shops-to-kingdee-customers.html") ?? "";
    for (const line of [23, 24, 25, 26, 28, 30, 34, 35, 38, 47, 56]) {
      expect(page).toContain(`href="../../../mappings/guanyi-shops-to-kingdee-customers.map#L${line}"`);
    }
  });

  it("shows what the issue asks for on a flow page", () => {
    const page = renderDocs(seedResults(), OUT, "html", ROOT).get("flows/banniu-task-barcodes.html") ?? "";
    expect(page).toContain("更新班牛货品：按货号查商品条码，回写班牛工单"); // the /// comment
    expect(page).toContain("lookup a97d423e-52f5-3d6f-9f94-39a9f43f2bd5 where content.goodsNo = 27963 → content.skuBarcode");
    expect(page).toContain('<table class="vmap">');
    expect(page).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="lineage"');
    expect(page).toContain("2 calls per second");
    expect(page).toMatch(/Before: source record[\s\S]*After: target row/);
    expect(page).toContain('"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC"');
    expect(page).toContain("@media (max-width: 640px)");
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from the network
  });
});

describe("expressions read as text, with their inputs for the lineage", () => {
  const KITCHEN_SINK = `
mapping kitchen_sink "Everything"
source http "/orders" {
  params { since <- window.start  key <- env("KEY") }
  window from_time .. to_time step 1h
  id id
}
target http "/sales" { idcheck no }
fields {
  no     : string  <- code | trim | upper
  total  : number  <- (price * qty - discount) | round(2)
  flag   : bool    <- !(status == "x") && qty > 0
  kind   : string  <- if status matches /^a/i then "A" else "B" | lower
  first  : string? <- note ?? "none"
  parts  : array   <- tags | split(",") | unique
  j      : string? <- jsonata "$string(qty)"
  o      : object  <- { a: code, b: [1, 2] }
  neg    : number  <- -qty
  name   : string  <- first_name + " " + last_name
  lines  : array   <- each items as d {
    sku : string <- d.sku
    q   : number <- d.qty * 2
  }
  shop   : string? <- lookup mongo("shops", where: { "code": { $eq: shop_code }, "active": { $eq: true } }, find: name) else "?"
  kindOf : string  <- kind_code | map { "a": "Alpha", "": "Empty", "b c": "B" } else "Other"
}
`;
  const flow = result(KITCHEN_SINK, "ks.map").model as FlowModel;
  const scope: ExprScope = { flow, aliases: new Map([["d", "items[]"]]) };
  const field = (display: string): FieldModel => {
    const f = flow.allFields.find((x) => x.display === display);
    if (!f || f.value.k === "each") throw new Error(`no expression field ${display}`);
    return f;
  };
  const value = (display: string) => field(display).value as Exclude<FieldModel["value"], EachModel>;

  it.each([
    ["no", "code → trim → upper", ["code"], "trim → upper"],
    ["total", "price * qty - discount → round(2)", ["price", "qty", "discount"], "multiply → subtract → round(2)"],
    ["flag", '!(status == "x") && qty > 0', ["status", "qty"], "compare → not → compare → and"],
    ["kind", '(if status matches /^a/i then "A" else "B") → lower', ["status"], "matches → if → lower"],
    ["first", 'note ?? "none"', ["note"], "default"],
    ["parts", 'tags → split(",") → unique', ["tags"], 'split(",") → unique'],
    ["j", 'jsonata "$string(qty)"', [], 'jsonata "$string(qty)"'],
    ["o", "{ a: code, b: [1, 2] }", ["code"], "list → object"],
    ["neg", "-qty", ["qty"], "negate"],
    ["name", 'first_name + " " + last_name', ["first_name", "last_name"], "join"],
    ["lines[].sku", "d.sku", ["items[].sku"], "copy"],
    ["lines[].q", "d.qty * 2", ["items[].qty"], "multiply"],
    ["shop", 'lookup shops where code = shop_code and active = true → name else "?"', ["shop_code"], "lookup shops"],
    ["kindOf", 'kind_code → map (a → Alpha, …) else Other', ["kind_code"], "map"],
  ])("%s: %s", (display, text, inputs, transform) => {
    expect(describeExpr(value(display), scope)).toBe(text);
    expect(exprInputs(value(display), scope)).toEqual(inputs);
    expect(transformLabel(value(display), scope)).toBe(transform);
  });

  it("renders the seed flows' fields as the issue describes them", () => {
    const guanyi = result(seed("guanyi"), SEED_FILES.guanyi).model as FlowModel;
    const s: ExprScope = { flow: guanyi, aliases: new Map() };
    const text = (name: string) => describeExpr(guanyi.fields.find((f) => f.display === name)?.value as Exclude<FieldModel["value"], EachModel>, s);
    expect(text("FName")).toBe("name");
    expect(text("FCreateOrgId")).toBe('"100" → ref(FNumber)');
    expect(text("FCustTypeId")).toBe("type_name → map (天猫 → KHLB001_SYS, …) else KHLB001_SYS → ref(FNumber)");
  });

  it("shows each entry table, value maps with odd keys quoted, and the request parameters", () => {
    const files = renderDocs([result(KITCHEN_SINK, "ks.map")], OUT, "md", ROOT);
    const page = files.get("flows/ks.md") ?? "";
    expect(page).toContain("| lines | array |  | each element of items (as d) |");
    expect(page).toContain("| &nbsp;&nbsp;lines\\[\\].q | number |  | d.qty \\* 2 |");
    expect(page).toContain('| "" | Empty |');
    expect(page).toContain("**Request parameters**: since = window.start; key = env(\"KEY\")");
    expect(files.get("flows/ks.svg")).toContain(">items[].qty</text>");
  });
});

describe("nested entry tables", () => {
  it("show a list of the outer element under the outer list, and a list of the record as its path", () => {
    const text = [
      'mapping nested "Nested"',
      'source http "/orders" { id id }',
      'target http "/sales" { idcheck no }',
      "fields {",
      "  no : string <- no",
      "  lines : array <- each items as d {",
      "    parts : array <- each d.parts as p { pn : string <- p.n }",
      "    tops : array <- each parts as t { tn : string <- t.n }",
      "  }",
      "}",
    ].join("\n");
    const page = renderDocs([result(text, "nested.map")], OUT, "md", ROOT).get("flows/nested.md") ?? "";
    expect(page).toContain("each element of items\\[\\].parts (as p)");
    expect(page).toContain("each element of parts (as t)");
  });
});

describe("escaping", () => {
  const HOSTILE = "<script>alert(1)</script> \"dq\" 'sq' `bt` & | * _ [x](y) #";

  it("HTML-escapes & < > \" '", () => {
    expect(escapeHtml(HOSTILE)).toBe("&lt;script&gt;alert(1)&lt;/script&gt; &quot;dq&quot; &#39;sq&#39; `bt` &amp; | * _ [x](y) #");
  });

  it.each([
    ["<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"],
    ["a | b", "a \\| b"],
    ["`code`", "\\`code\\`"],
    ["*bold* _em_ ~~s~~", "\\*bold\\* \\_em\\_ \\~\\~s\\~\\~"],
    ["[x](y)", "\\[x\\](y)"],
    ["&lt;", "&amp;lt;"],
    ["two\nlines", "two<br>lines"],
    ["# heading", "\\# heading"],
    ["- item", "\\- item"],
    ["1. item", "1\\. item"],
    ["a \\", "a \\\\"],
    ["客户名称", "客户名称"],
  ])("Markdown-escapes %j", (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });

  it("keeps `</script>` from closing the JSON script element, and round-trips", () => {
    const json = jsonForScript({ label: "</script><script>alert(1)</script>\u2028" });
    expect(json).not.toContain("<");
    expect(JSON.parse(json)).toEqual({ label: "</script><script>alert(1)</script>\u2028" });
  });

  it("splits doc comments into a lead line and paragraphs, joining Chinese lines without a space", () => {
    expect(paragraphs("摘要\nfirst line\nsecond line\n\n中文第一行\n第二行")).toEqual(["摘要", "first line second line", "中文第一行第二行"]);
  });

  /** The guanyi seed with hostile text in every place a .map file puts text on a page. */
  function hostileFlow(): FileResult {
    let text = seed("guanyi");
    text = mutate(text, '"管易云店铺同步为金蝶客户"', JSON.stringify(`T ${HOSTILE}`));
    text = mutate(text, '"客户名称"', JSON.stringify(`L ${HOSTILE}`));
    text = mutate(text, "/// 客户同步：管易云店铺 → 金蝶云星空客户", `/// D <img src=x onerror=alert(2)> ${HOSTILE}`);
    text = mutate(text, '"客户名称不能为空"', JSON.stringify(`M ${HOSTILE}`));
    text = mutate(text, '"a store becomes a wholesale customer"', JSON.stringify(`E </h3> ${HOSTILE}`));
    text = text.split('"门店"').join(JSON.stringify(`<b>门店</b>`));
    return result(text, "mappings/hostile.map");
  }

  it("HTML: hostile text from a .map file appears only escaped", () => {
    const files = renderDocs([hostileFlow()], OUT, "html", ROOT);
    for (const [path, content] of files) {
      expect(content, path).not.toContain("<script>alert");
      expect(content, path).not.toContain("<img");
      expect(content, path).not.toContain("<b>门店");
      // Quotes stay raw only inside the search index's JSON, where they cannot end anything.
      const outsideJson = content.replace(/<script type="application\/json"[\s\S]*?<\/script>/, "");
      expect(outsideJson, path).not.toContain("'sq'");
      expect(outsideJson, path).not.toContain('"dq"');
    }
    const page = files.get("flows/hostile.html") ?? "";
    const escaped = escapeHtml(HOSTILE);
    for (const tag of ["T", "L", "M", "E </h3>"]) expect(page).toContain(escapeHtml(`${tag} ${HOSTILE}`));
    expect(page).toContain(`D &lt;img src=x onerror=alert(2)&gt; ${escaped}`);
    expect(page).toContain("&lt;b&gt;门店&lt;/b&gt;");
    expect(page.match(/<script/g)).toBeNull(); // flow pages have no script at all

    const index = files.get("index.html") ?? "";
    expect(index.match(/<script/g)).toHaveLength(2); // the search data and the search
    const data = /<script type="application\/json" id="search-index">([\s\S]*?)<\/script>/.exec(index)?.[1] ?? "";
    expect(data).not.toContain("<");
    const search = JSON.parse(data) as { title: string; fields: [string, string][] }[];
    expect(search[0]?.title).toBe(`T ${HOSTILE}`);
    expect(search[0]?.fields[0]).toEqual(["FName", `L ${HOSTILE}`]);
  });

  it("Markdown: hostile text from a .map file appears only escaped", () => {
    const files = renderDocs([hostileFlow()], OUT, "md", ROOT);
    const page = files.get("flows/hostile.md") ?? "";
    expect(page).toContain(escapeMarkdown(`L ${HOSTILE}`));
    expect(page).toContain("\\<img src=x onerror=alert(2)\\>");
    for (const [path, content] of files) {
      expect(content, path).not.toMatch(/(?<!\\)<(script|img|b>)/);
      if (path.endsWith(".md")) expect(content, path).not.toMatch(/(?<!\\)`bt/);
    }
    const svg = files.get("flows/hostile.svg") ?? "";
    expect(svg).toContain("&lt;script&gt;");
    expect(svg).not.toContain("<script");
  });
});

describe("writing and --check", () => {
  let dir = "";
  const io = (): Io & { err: () => string } => {
    let stderr = "";
    return { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, cwd: dir, env: {}, isTTY: false, err: () => stderr };
  };
  const project = (): void => {
    dir = mkdtempSync(join(tmpdir(), "ferry-docs-"));
    mkdirSync(join(dir, "mappings"));
    writeFileSync(join(dir, SEED_FILES.guanyi), seed("guanyi"));
    writeFileSync(join(dir, SEED_FILES.banniu), seed("banniu"));
  };
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writeDocs then checkDocs finds nothing; changed, missing and stale pages are listed", () => {
    project();
    const results = checkFiles(findMapFiles(["mappings"], dir), dir);
    const { written } = writeDocs(results, OUT, "html", dir);
    expect(written).toEqual([
      "docs/site/flows/banniu-task-barcodes.html",
      "docs/site/flows/guanyi-shops-to-kingdee-customers.html",
      "docs/site/index.html",
      "docs/site/systems.html",
    ]);
    expect(checkDocs(results, OUT, "html", dir).differences).toEqual([]);

    writeFileSync(join(dir, OUT, "index.html"), "hand edited");
    rmSync(join(dir, OUT, "systems.html"));
    writeFileSync(join(dir, OUT, "flows", "deleted-flow.html"), "stale");
    writeFileSync(join(dir, OUT, "CNAME"), "docs.example.com"); // not ours: left alone
    expect(checkDocs(results, OUT, "html", dir).changes).toEqual([
      { file: "docs/site/flows/deleted-flow.html", change: "extra" },
      { file: "docs/site/index.html", change: "changed" },
      { file: "docs/site/systems.html", change: "missing" },
    ]);

    const again = writeDocs(results, OUT, "html", dir);
    expect(again.written).toEqual(["docs/site/index.html", "docs/site/systems.html"]);
    expect(again.removed).toEqual(["docs/site/flows/deleted-flow.html"]);
    expect(checkDocs(results, OUT, "html", dir).differences).toEqual([]);
    expect(readFileSync(join(dir, OUT, "CNAME"), "utf8")).toBe("docs.example.com");
  });

  it("ferry docs writes, --check passes, then fails with the differing file after a .map changes", () => {
    project();
    const first = io();
    expect(docsCommand(first, ["mappings"], { out: OUT })).toBe(0);
    expect(first.err()).toContain("ok: docs for 2 flows in docs/site (4 written, 0 unchanged)");
    expect(docsCommand(io(), ["mappings"], { out: OUT, check: true })).toBe(0);

    writeFileSync(join(dir, SEED_FILES.guanyi), mutate(seed("guanyi"), '"客户名称"', '"客户全称"'));
    const check = io();
    expect(docsCommand(check, ["mappings"], { out: OUT, check: true })).toBe(1);
    expect(check.err()).toContain("changed docs/site/flows/guanyi-shops-to-kingdee-customers.html");
    expect(check.err()).toContain("changed docs/site/index.html"); // the search index holds labels
    expect(check.err()).not.toContain("systems.html");
    expect(check.err()).toContain("run `ferry docs --out docs/site`");
  });

  it("--format md writes Markdown with the lineage as SVG files, and --check compares Markdown", () => {
    project();
    expect(docsCommand(io(), ["mappings"], { out: OUT, format: "md" })).toBe(0);
    expect(listFiles(join(dir, OUT))).toEqual([
      "README.md",
      "flows/banniu-task-barcodes.md",
      "flows/banniu-task-barcodes.svg",
      "flows/guanyi-shops-to-kingdee-customers.md",
      "flows/guanyi-shops-to-kingdee-customers.svg",
      "systems.md",
    ]);
    expect(docsCommand(io(), ["mappings"], { out: OUT, format: "md", check: true })).toBe(0);
    expect(docsCommand(io(), ["mappings"], { out: OUT, format: "html", check: true })).toBe(1);
  });

  it("exits 2 on an unknown format and 1 on a flow with errors, writing nothing", () => {
    project();
    const usage = io();
    expect(docsCommand(usage, ["mappings"], { out: OUT, format: "pdf" })).toBe(2);
    expect(usage.err()).toBe("ferry: unknown docs format `pdf` (choose html or md)\n");

    writeFileSync(join(dir, SEED_FILES.guanyi), mutate(seed("guanyi"), "<- name ", "<- nmae "));
    const broken = io();
    expect(docsCommand(broken, ["mappings"], { out: OUT })).toBe(1);
    expect(broken.err()).toContain("error[MAP2001]: unknown source field `nmae`");
    expect(existsSync(join(dir, OUT))).toBe(false);
  });
});

describe("speed", () => {
  it("documents 100 flows in under 5 s", async () => {
    const timing = await benchDocs(ROOT);
    expect(timing.flows).toBe(100);
    expect(timing.ms).toBeLessThan(timing.target_ms);
  });
});

/**
 * Deterministic Guanyi shop records (gy.erp.shop.get) for the transform benchmark. Records are built
 * page by page and round-tripped through JSON, so they look exactly like what the API client hands
 * the transform: flat strings, one object shape per page layout, `null` or absent notes.
 */
import type { GuanyiShop } from "./handwritten.js";
import { seededRandom as prng } from "../runtime/random.js";

const CITIES = ["杭州", "上海", "北京", "深圳", "广州", "成都", "南京", "苏州", "武汉", "西安", "重庆", "厦门", "青岛", "长沙", "郑州", "宁波"];
const BRANDS = ["优品", "云裳", "森活", "木子", "禾田", "小鹿", "青柠", "拾光", "花间", "山海", "良仓", "素白", "知物", "橙意", "暖阳", "悦己"];
const GOODS = ["家居", "服饰", "母婴", "美妆", "食品", "数码", "茶叶", "鞋包", "百货", "户外"];
const SUFFIX: Readonly<Record<string, readonly string[]>> = {
  天猫: ["旗舰店", "专营店", "专卖店"],
  京东: ["京东自营店", "京东旗舰店", "京东专营店"],
  门店: ["门店", "体验店", "直营店"],
  其他: ["分销店", "微店", "抖音小店"],
};
export const TYPE_NAMES = ["天猫", "京东", "门店", "其他"] as const;
const NOTES = ["旗舰店，月结", "新开店铺", "大客户，优先发货", "季节性店铺", "", "需开专票", "已签年框协议", "退货率高，注意审核"];

const PAGE = 100;
const BASE_ID = 55370664060;
const BASE_TIME = Date.UTC(2021, 0, 1, 0, 0, 0);


const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

function dateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function pick<T>(list: readonly T[], r: number): T {
  return list[Math.floor(r * list.length)] as T;
}

function shop(i: number, rand: () => number): Record<string, unknown> {
  const typeName = TYPE_NAMES[i % TYPE_NAMES.length] as string;
  const brand = `${pick(BRANDS, rand())}${pick(GOODS, rand())}`;
  const name = `${pick(CITIES, rand())}${brand}${pick(SUFFIX[typeName] ?? ["店"], rand())}`;
  const created = BASE_TIME + Math.floor(rand() * 3 * 365 * 86_400_000);
  const modified = created + Math.floor(rand() * 90 * 86_400_000);
  const record: Record<string, unknown> = {
    id: BASE_ID + i,
    nick: `${brand}${i % 97 === 0 ? "官方" : ""}${typeName === "天猫" ? "tmall" : "shop"}${i}`,
    code: `gsh_${String(i).padStart(7, "0")}`,
    name,
    create_date: dateTime(created),
    modify_date: dateTime(modified),
  };
  // About a third of the shops have no note: half of those send null, half leave the key out.
  if (i % 3 !== 2) record.note = pick(NOTES, rand());
  else if (i % 6 === 2) record.note = null;
  record.type_name = typeName;
  return record;
}

/** `count` shop records, the same on every run. */
export function generateShops(count: number, seed = 20240101): GuanyiShop[] {
  const rand = prng(seed);
  const out: GuanyiShop[] = [];
  for (let start = 0; start < count; start += PAGE) {
    const page: Record<string, unknown>[] = [];
    for (let i = start; i < Math.min(count, start + PAGE); i++) page.push(shop(i, rand));
    // As received from the API: parsed JSON, not objects built in this process.
    for (const r of JSON.parse(JSON.stringify(page)) as GuanyiShop[]) out.push(r);
  }
  return out;
}

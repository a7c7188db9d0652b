/**
 * The shops the Guanyi sandbox holds. Shop i is a pure function of (seed, i, anchor), and
 * modification times rise with i, so the table is never materialised: a window is two binary searches
 * and a page is a slice of indexes. That keeps `ferry sandbox --records 1000000` at constant memory.
 */
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";

/** One row of `gy.erp.shop.get`, keys in the order Guanyi sends them (SYSTEMS.md). */
export interface GuanyiShop {
  readonly id: number;
  readonly nick: string;
  readonly code: string;
  readonly name: string;
  /** `yyyy-MM-dd HH:mm:ss`, Asia/Shanghai. */
  readonly create_date: string;
  readonly modify_date: string;
  readonly note: string;
  readonly type_name: string;
}

/** The first shop's id; shop i has id FIRST_SHOP_ID + i (11 digits, like Guanyi's). */
export const FIRST_SHOP_ID = 55370664060;

/**
 * Share of shops whose code Kingdee refuses (`FNumber` must match `^[A-Za-z0-9_-]+$`): half carry a
 * space (`gsh 00042`), half Chinese (`店铺00042`). Flows with `check` rules on the code see these as
 * rejects, as they would with hand-typed codes in a real account.
 */
export const INVALID_CODE_SHARE = 0.01;

/** Modification (and creation) times fall in the 3 days before the sandbox's `now`. */
const SPAN_SECONDS = 3 * 24 * 3600;
const DATE_FORMAT = "yyyy-MM-dd HH:mm:ss";

// Invented brand-like words, so no real company's name ends up in test data.
const BRANDS = ["青柚", "禾木", "云朵", "山川", "北辰", "小鹿", "暖阳", "初见", "木棉", "星河", "蓝鲸", "麦田", "溪谷", "森屿", "竹里", "橙光"];
const CATEGORIES = ["", "家居", "食品", "母婴", "服饰", "数码", "美妆", "生活馆"];
const CITIES = ["杭州", "上海", "成都", "广州", "南京", "武汉", "苏州", "西安"];
/** [name suffix, type_name, online]: the channels a Guanyi account typically connects. */
const CHANNELS: readonly (readonly [string, string, boolean])[] = [
  ["天猫旗舰店", "天猫", true],
  ["天猫专卖店", "天猫", true],
  ["京东自营店", "京东", true],
  ["京东旗舰店", "京东", true],
  ["线下门店", "门店", false],
  ["抖音小店", "其他", true],
  ["拼多多专营店", "其他", true],
  ["微信小程序商城", "其他", true],
];
const NOTES = ["华东仓发货", "自动下载订单", "含赠品策略", "已对接电子面单", "停用前请先结清库存", "主营店铺，勿删", "售后走总仓"];

// Salts: one independent random stream per field.
const S_TIME = 1;
const S_CREATE = 2;
const S_BRAND = 3;
const S_CATEGORY = 4;
const S_CHANNEL = 5;
const S_CITY = 6;
const S_NOTE = 7;
const S_NOTE_TEXT = 8;
const S_BAD_CODE = 9;
const S_BAD_KIND = 10;

/** murmur3's finaliser: a good 32-bit mix. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform [0, 1) for (seed, i, salt), the same on every run and machine. */
function unit(seed: number, i: number, salt: number): number {
  const h = fmix(fmix(fmix(seed ^ 0x9e3779b9) ^ i) ^ Math.imul(salt, 0x27d4eb2f));
  return h / 4294967296;
}

function pick<T>(list: readonly T[], u: number): T {
  return list[Math.floor(u * list.length)] ?? (list[0] as T);
}

/** The sandbox's shop table: `size` shops generated from `seed`, dated relative to `nowMs`. */
export class ShopTable {
  private readonly start: number;

  constructor(
    private readonly seed: number,
    readonly size: number,
    nowMs: number,
  ) {
    this.start = Math.floor(nowMs / 1000) - SPAN_SECONDS;
  }

  /**
   * Shop i's modification time (epoch seconds). `(i + u) / size` rises strictly with i, so after
   * flooring to whole seconds the sequence never falls: ordering by (modify_date, id) is ordering by i.
   */
  modifySecond(i: number): number {
    return this.start + Math.floor(((i + unit(this.seed, i, S_TIME)) * SPAN_SECONDS) / this.size);
  }

  /** The smallest i whose modification time is at or after `second` (`size` when none is). */
  firstAtOrAfter(second: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.modifySecond(mid) < second) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of the shop with this exact code, or undefined. Every code ends in its index's digits. */
  indexOfCode(code: string): number | undefined {
    const digits = /(\d+)$/.exec(code)?.[1];
    if (digits === undefined) return undefined;
    const i = Number(digits);
    return Number.isSafeInteger(i) && i < this.size && this.codeOf(i) === code ? i : undefined;
  }

  private codeOf(i: number): string {
    const digits = String(i).padStart(5, "0");
    if (unit(this.seed, i, S_BAD_CODE) >= INVALID_CODE_SHARE) return `gsh_${digits}`;
    return unit(this.seed, i, S_BAD_KIND) < 0.5 ? `gsh ${digits}` : `店铺${digits}`;
  }

  /** Shop i, 0 ≤ i < size. */
  shop(i: number): GuanyiShop {
    const { seed } = this;
    const modify = this.modifySecond(i);
    const create = this.start + Math.floor(unit(seed, i, S_CREATE) * (modify - this.start));
    const brand = pick(BRANDS, unit(seed, i, S_BRAND)) + pick(CATEGORIES, unit(seed, i, S_CATEGORY));
    const [suffix, typeName, online] = pick(CHANNELS, unit(seed, i, S_CHANNEL));
    // A store is named by its city; it has no platform nick, so Guanyi leaves that empty.
    const name = online ? brand + suffix : `${brand}${pick(CITIES, unit(seed, i, S_CITY))}${suffix}`;
    return {
      id: FIRST_SHOP_ID + i,
      nick: online ? name : "",
      code: this.codeOf(i),
      name,
      create_date: formatDateTime(create * 1000, DATE_FORMAT, SHANGHAI_UTC_OFFSET_MINUTES),
      modify_date: formatDateTime(modify * 1000, DATE_FORMAT, SHANGHAI_UTC_OFFSET_MINUTES),
      note: unit(seed, i, S_NOTE) < 1 / 3 ? "" : pick(NOTES, unit(seed, i, S_NOTE_TEXT)),
      type_name: typeName,
    };
  }
}

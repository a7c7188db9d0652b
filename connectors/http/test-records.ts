/**
 * Deterministic data for the http test server: shop records generated from a seed, and the seeded
 * numbers that decide injected faults. Same seed, same records, same faults — so a failing test or
 * benchmark run can be replayed exactly.
 */
import { seededRandom } from "../../runtime/random.js";

export { seededRandom };

/** A record the test server's source serves. */
export interface ShopRecord {
  readonly id: number;
  readonly code: string;
  readonly name: string;
  readonly note?: string;
  /** `yyyy-MM-dd HH:mm:ss`. */
  readonly updated: string;
}


/**
 * A number in [0, 1) fixed by the text alone (FNV-1a, then mixed). Faults are decided per
 * (seed, path, request number) this way rather than from one shared random stream, so concurrent
 * requests arriving in a different order still meet the same faults.
 */
export function hashUnit(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return seededRandom(h)();
}

const CITIES = ["杭州", "上海", "北京", "深圳", "成都", "广州", "南京", "苏州", "武汉", "西安"];
const WORDS = ["星辰", "蓝海", "云杉", "青禾", "金桥", "明月", "远航", "百川"];
const KINDS = ["旗舰店", "专营店", "直营店", "官方店"];
const NOTES = ["周末不发货", "VIP 客户", "仅限华东", "新开店铺"];
const START = Date.UTC(2024, 0, 1);

/** `yyyy-MM-dd HH:mm:ss` of a UTC instant. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** `count` shop records with ids 1…count, the same for the same seed. */
export function generateShops(count: number, seed: number): ShopRecord[] {
  const random = seededRandom(seed);
  const pick = (list: readonly string[]): string => list[Math.floor(random() * list.length)] ?? "";
  const records: ShopRecord[] = [];
  for (let i = 0; i < count; i++) {
    const id = i + 1;
    const name = `${pick(CITIES)}${pick(WORDS)}${pick(KINDS)}`;
    const updated = formatTimestamp(START + i * 37 * 60_000);
    const base = { id, code: `SHOP${String(id).padStart(6, "0")}`, name, updated };
    records.push(random() < 0.3 ? { ...base, note: pick(NOTES) } : base);
  }
  return records;
}

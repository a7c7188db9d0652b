/**
 * The Banniu sandbox's seeded data: tasks (工单) of project 27912 and the goods collection the seed
 * flow looks their goods numbers up in. Every task is computed from (seed, index) alone, so the table
 * costs no memory however many tasks it holds, and the same seed always yields the same data.
 */
import { formatDateTime, SHANGHAI_UTC_OFFSET_MINUTES } from "../../runtime/datetime.js";

/** The one project (群组) the sandbox holds, the seed flow's. */
export const BANNIU_PROJECT_ID = "27912";

/** Column ids of project 27912, as task.list rows are keyed. */
export const BANNIU_COLUMNS = {
  /** 工单id (a number). */
  taskId: "-1",
  /** 创建时间, `yyyy-MM-dd HH:mm:ss` Asia/Shanghai. */
  created: "27955",
  /** 客户昵称. */
  customer: "27956",
  /** 订单号. */
  orderNo: "27958",
  /** 货号: the seed flow's lookup key. */
  goodsNo: "27963",
  /** 处理状态: "0" 未开始, "1" 进行中, "2" 已完成; a few carry an unknown "9". */
  status: "27970",
} as const;

/**
 * Project 27912's columns as column.list answers them (API-FACTS.md, Banniu): id, title, behaviour
 * type (1 text, 2 number, 4 dropdown, 7 date-time, …) and, for choices, their options.
 */
export const BANNIU_COLUMN_LIST: readonly { readonly column_id: number; readonly name: string; readonly behaviorType: number; readonly options: readonly { readonly id: number; readonly title: string }[] }[] = [
  { column_id: 27955, name: "创建时间", behaviorType: 7, options: [] },
  { column_id: 27956, name: "客户昵称", behaviorType: 1, options: [] },
  { column_id: 27958, name: "订单号", behaviorType: 1, options: [] },
  { column_id: 27963, name: "货号", behaviorType: 1, options: [] },
  {
    column_id: 27970,
    name: "处理状态",
    behaviorType: 4,
    options: [
      { id: 0, title: "未开始" },
      { id: 1, title: "进行中" },
      { id: 2, title: "已完成" },
    ],
  },
  { column_id: 101297, name: "商品条码", behaviorType: 1, options: [] },
  { column_id: 101300, name: "处理进度", behaviorType: 1, options: [] },
];

/** A task as the sandbox holds it. */
export interface BanniuTask {
  readonly id: number;
  /** Creation instant (whole seconds), ms since the epoch. */
  readonly createdMs: number;
  /** The row as task.list answers it, keyed by column id; updated columns included. */
  readonly columns: Readonly<Record<string, string | number>>;
}

/**
 * One entry of the goods lookup collection, in the shape `ferry load` stores. A type alias rather than
 * an interface so it is assignable to the runtime's `Document` (a string-keyed record).
 */
export type BanniuGoods = { readonly content: { readonly goodsNo: string; readonly skuBarcode: string; readonly name: string } };

/** Task ids start here, rising with creation time as a real project's do. */
export const FIRST_TASK_ID = 8_100_001;
/** How far back before "now" tasks were created. */
const SPAN_SECONDS = 2 * 86_400;
/** Goods numbers G1001…G1300 are in the collection. */
const GOODS_COUNT = 300;
const FIRST_GOODS = 1001;
/** Share of tasks whose goods number is not in the collection, so the lookup misses and the row dead-letters. */
const UNKNOWN_GOODS_SHARE = 0.05;
/** Share of tasks with a status outside 0/1/2, so the flow's `else` branch is exercised. */
const UNKNOWN_STATUS_SHARE = 0.03;
const DATE_FORMAT = "yyyy-MM-dd HH:mm:ss";

const SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"];
const GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀兰", "霞"];
const ADJECTIVES = ["加厚", "便携", "纯棉", "无线", "防水", "轻薄", "大容量", "儿童", "商务", "复古"];
const PRODUCTS = ["保温杯", "蓝牙耳机", "双肩包", "折叠伞", "数据线", "抱枕", "运动鞋", "T恤", "收纳盒", "台灯"];
const COLORS = ["黑色", "白色", "灰色", "蓝色", "红色", "米色"];

/** The seeded tasks of one sandbox; see the file header. */
export class TaskTable {
  /** Creation time of the first possible task, in epoch seconds. */
  private readonly startSeconds: number;

  constructor(
    private readonly seed: number,
    readonly size: number,
    nowMs: number,
  ) {
    this.startSeconds = Math.floor(nowMs / 1000) - SPAN_SECONDS;
  }

  /**
   * Creation time of task `index`, in epoch ms. Task i falls in the i-th of `size` equal slices of
   * the span, at a seeded point inside it, so times rise with the index and stay before "now".
   */
  createdMs(index: number): number {
    const u = unit(this.seed, "created", index);
    return (this.startSeconds + Math.floor(((index + u) * SPAN_SECONDS) / this.size)) * 1000;
  }

  /** The index of the first task created at or after `ms` (size when none). */
  firstAtOrAfter(ms: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.createdMs(mid) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The index of task `id`, or undefined when the sandbox has no such task. */
  indexOf(id: number): number | undefined {
    const index = id - FIRST_TASK_ID;
    return Number.isSafeInteger(index) && index >= 0 && index < this.size ? index : undefined;
  }

  /** Task `index` as generated (no updates). */
  task(index: number): BanniuTask {
    const rand = stream(this.seed, "task", index);
    const createdMs = this.createdMs(index);
    const goodsNo = rand() < UNKNOWN_GOODS_SHARE ? `G${9001 + Math.floor(rand() * 999)}` : `G${FIRST_GOODS + Math.floor(rand() * GOODS_COUNT)}`;
    const status = rand() < UNKNOWN_STATUS_SHARE ? "9" : String(Math.floor(rand() * 3));
    const customer = pick(SURNAMES, rand) + pick(GIVEN, rand);
    const orderNo = `2${digits(rand, 17)}`;
    const id = FIRST_TASK_ID + index;
    const c = BANNIU_COLUMNS;
    return {
      id,
      createdMs,
      columns: {
        [c.taskId]: id,
        [c.created]: formatDateTime(createdMs, DATE_FORMAT, SHANGHAI_UTC_OFFSET_MINUTES),
        [c.customer]: customer,
        [c.orderNo]: orderNo,
        [c.goodsNo]: goodsNo,
        [c.status]: status,
      },
    };
  }
}

/**
 * The goods collection matching the sandbox's tasks for `seed`: goods numbers G1001…G1300, each with
 * a distinct 13-digit EAN-13 barcode (prefix 690 or 692, valid check digit) and a Chinese name. The
 * demo loads it into the seed flow's lookup collection `a97d423e-52f5-3d6f-9f94-39a9f43f2bd5`.
 */
export function banniuGoods(seed: number): BanniuGoods[] {
  const seen = new Set<string>();
  const goods: BanniuGoods[] = [];
  for (let k = 0; k < GOODS_COUNT; k++) {
    const rand = stream(seed, "goods", k);
    let barcode: string;
    do barcode = ean13(`${rand() < 0.5 ? "690" : "692"}${digits(rand, 9)}`);
    while (seen.has(barcode));
    seen.add(barcode);
    const name = `${pick(ADJECTIVES, rand)}${pick(PRODUCTS, rand)} ${pick(COLORS, rand)}`;
    goods.push({ content: { goodsNo: `G${FIRST_GOODS + k}`, skuBarcode: barcode, name } });
  }
  return goods;
}

/** Twelve digits plus the EAN-13 check digit. */
function ean13(twelve: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(twelve[i]) * (i % 2 === 0 ? 1 : 3);
  return `${twelve}${(10 - (sum % 10)) % 10}`;
}

function digits(rand: () => number, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) out += String(Math.floor(rand() * 10));
  return out;
}

function pick<T>(items: readonly T[], rand: () => number): T {
  return items[Math.floor(rand() * items.length)] as T;
}

/** A seeded uniform in [0, 1) for one (seed, purpose, index). */
function unit(seed: number, purpose: string, index: number): number {
  return stream(seed, purpose, index)();
}

/** A seeded random stream (mulberry32) for one (seed, purpose, index): independent of every other index. */
function stream(seed: number, purpose: string, index: number): () => number {
  let a = hash32(`${seed}\u0000${purpose}\u0000${index}`);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bits. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Guanyi ERP (管易云) open API as the compiler and runtime see it. Wire facts: SYSTEMS.md, "Guanyi ERP".
 */
import type { ConnectorCatalog, OperationSchema } from "../catalog.js";

const SECOND = 1_000;

/** `gy.erp.shop.get`: the shops (店铺) of the account, filterable by modification time. */
const shopGet: OperationSchema = {
  name: "gy.erp.shop.get",
  direction: "read",
  description: "店铺查询: list shops, optionally those modified within a time window or with a given code.",
  // Every Guanyi call is a POST to one gateway; the method name travels in the body.
  method: "POST",
  params: [
    { name: "page_no", type: "int", description: "Page number, starting at 1.", default: 1 },
    { name: "page_size", type: "int", description: "Rows per page.", default: 10 },
    {
      name: "modify_start_date",
      type: "datetime",
      description: "Start of the modification-time window, `yyyy-MM-dd HH:mm:ss` (Asia/Shanghai).",
    },
    {
      name: "modify_end_date",
      type: "datetime",
      description: "End of the modification-time window, `yyyy-MM-dd HH:mm:ss` (Asia/Shanghai).",
    },
    { name: "code", type: "string", description: "Shop code (店铺代码); returns only that shop." },
  ],
  record: {
    title: "gy.erp.shop.get records",
    fields: [
      // Ids exceed 2^31 (e.g. 55370664060) but stay well inside 2^53, so a JS number holds them exactly.
      { name: "id", type: "int", required: true, label: "店铺ID" },
      { name: "nick", type: "string", label: "店铺昵称" },
      { name: "code", type: "string", required: true, label: "店铺代码" },
      { name: "name", type: "string", required: true, label: "店铺名称" },
      { name: "create_date", type: "datetime", label: "创建时间" },
      { name: "modify_date", type: "datetime", label: "修改时间" },
      { name: "note", type: "string", label: "备注" },
      { name: "type_name", type: "string", label: "店铺类型" },
    ],
  },
  response: {
    records: "shops",
    // `total` counts every row matching the filter, not just this page, so paging can stop on it.
    total: "total",
    paths: [
      "success",
      "errorCode",
      "subErrorCode",
      "errorDesc",
      "subErrorDesc",
      "requestMethod",
      "shops",
      "total",
    ],
  },
  limits: {
    // Not published. 100 is the largest page we are confident the API serves; larger values are
    // an assumption nobody has verified, so the compiler should refuse them.
    maxPageSize: 100,
  },
  defaults: { pageSize: 10 },
};

/** Guanyi ERP (管易云): a read-only source in the seed flows. */
export const guanyiCatalog: ConnectorCatalog = {
  name: "guanyi",
  title: "管易云 ERP",
  operations: [shopGet],
  defaults: {
    // No published rate limit exists, so none is imposed by default; throttling answers
    // (success:false with a limit description, HTTP 429) are retried instead.
    retry: { attempts: 3, minMs: 1 * SECOND, maxMs: 30 * SECOND },
    timeoutMs: 30 * SECOND,
  },
};

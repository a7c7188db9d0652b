/**
 * Kingdee K3Cloud (金蝶云星空) Web API as the compiler and runtime see it.
 * Wire facts: SYSTEMS.md, "Kingdee K3Cloud".
 */
import type { ConnectorCatalog, FieldSchema, FormSchema, OperationSchema, OptionSchema } from "../catalog.js";

const SECOND = 1_000;
const DYNAMIC_FORM_SERVICE = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService";

/** Base data is written as `{"FNumber": "…"}`; `NumberSearch` (on by default) resolves it by number. */
function numberRef(name: string, label: string, required = false): FieldSchema {
  return { name, type: "ref", refKey: "FNumber", label, ...(required ? { required } : {}) };
}

const customer: FormSchema = {
  id: "BD_Customer",
  title: "客户",
  key: "FCUSTID",
  number: "FNumber",
  row: {
    title: "BD_Customer rows",
    fields: [
      // Present only to update an existing customer by internal id; new rows leave it out.
      { name: "FCUSTID", type: "int", label: "客户内码" },
      // Without FNumber Kingdee numbers the customer by its coding rule, so it is not required.
      { name: "FNumber", type: "string", label: "客户编码" },
      { name: "FName", type: "string", required: true, label: "客户名称" },
      numberRef("FCreateOrgId", "创建组织", true),
      numberRef("FUseOrgId", "使用组织"),
      { name: "FShortName", type: "string", label: "简称" },
      { name: "FDescription", type: "string", label: "描述" },
      { name: "FTEL", type: "string", label: "联系电话" },
      { name: "FADDRESS", type: "string", label: "通讯地址" },
      { name: "FTAXREGISTERCODE", type: "string", label: "纳税登记号" },
      numberRef("FCOUNTRY", "国家"),
      numberRef("FPROVINCIAL", "地区"),
      numberRef("FCustTypeId", "客户类别"),
      numberRef("FGroup", "客户分组"),
      numberRef("FTRADINGCURRID", "结算币别"),
      numberRef("FSETTLETYPEID", "结算方式"),
      numberRef("FSELLER", "销售员"),
      { name: "FInvoiceType", type: "string", label: "发票类型" },
    ],
  },
};

const material: FormSchema = {
  id: "BD_MATERIAL",
  title: "物料",
  key: "FMATERIALID",
  number: "FNumber",
  row: {
    title: "BD_MATERIAL rows",
    fields: [
      { name: "FMATERIALID", type: "int", label: "物料内码" },
      { name: "FNumber", type: "string", label: "编码" },
      { name: "FName", type: "string", required: true, label: "名称" },
      numberRef("FCreateOrgId", "创建组织", true),
      numberRef("FUseOrgId", "使用组织"),
      { name: "FSpecification", type: "string", label: "规格型号" },
      { name: "FDescription", type: "string", label: "描述" },
      { name: "FBARCODE", type: "string", label: "条码" },
    ],
  },
};

// Defaults are Kingdee's own (its Web API documentation), listed so docs can say what "unset" means.
const batchSaveOptions: readonly OptionSchema[] = [
  {
    name: "IsVerifyBaseDataField",
    type: "bool",
    description: "Verify that every base-data reference exists and is usable (验证基础资料有效性).",
    default: false,
  },
  {
    name: "IsAutoSubmitAndAudit",
    type: "bool",
    description: "Submit and audit each saved row in the same call (自动提交并审核).",
    default: false,
  },
  {
    // Kingdee takes an array of field keys; a comma list is easier to write and the client splits it.
    name: "NeedUpDateFields",
    type: "string",
    description:
      "Comma-separated field keys to update on existing rows; empty updates every field sent. Entry fields need their entry key.",
  },
  {
    name: "NeedReturnFields",
    type: "string",
    description: "Comma-separated field keys Kingdee returns for saved rows (NeedReturnData); empty returns none.",
  },
  {
    name: "IsDeleteEntry",
    type: "bool",
    description: "Delete existing entry rows that the update does not send (删除已存在的分录).",
    default: true,
  },
  {
    name: "ValidateFlag",
    type: "bool",
    description: "Validate the data before saving; false skips Kingdee's validation (验证数据合法性).",
    default: true,
  },
  {
    name: "NumberSearch",
    type: "bool",
    description: "Resolve base-data references by number, e.g. {\"FNumber\": \"100\"} (用编码搜索基础资料).",
    default: true,
  },
  {
    name: "IsAutoAdjustField",
    type: "bool",
    description: "Let Kingdee reorder the JSON fields so dependent fields are set after the ones they depend on.",
    default: false,
  },
  {
    // Not the rows per call (that is the target's `batch`): Kingdee's own default is not documented.
    name: "BatchCount",
    type: "number",
    description: "Server-side threads saving the rows of one call; has no effect when it exceeds the row count.",
  },
];

/** `BatchSave`: save many rows of one form; per-row results come back by `DIndex`. */
const batchSave: OperationSchema = {
  name: "batchSave",
  wireName: `${DYNAMIC_FORM_SERVICE}.BatchSave`,
  direction: "write",
  description: "批量保存: save rows of a form (create, or update by key/number); one call can partly succeed.",
  method: "POST",
  params: [],
  forms: [customer, material],
  options: batchSaveOptions,
  // Rows of the form are read back by the idcheck field.
  confirm: "ExecuteBillQuery",
  // No published ceiling on rows per call; 1000 keeps request bodies and server time bounded.
  limits: { maxBatch: 1000 },
  defaults: { batch: 100 },
};

/** `ExecuteBillQuery`: read the fields named in FieldKeys for rows matching a filter. */
const executeBillQuery: OperationSchema = {
  name: "executeBillQuery",
  wireName: `${DYNAMIC_FORM_SERVICE}.ExecuteBillQuery`,
  direction: "read",
  description: "单据查询: read selected fields of a form's rows, with filter, order and offset paging.",
  method: "POST",
  params: [
    { name: "FormId", type: "string", required: true, description: "Form to query, e.g. BD_Customer." },
    {
      name: "FieldKeys",
      type: "string",
      required: true,
      description: "Comma-separated field keys to return, e.g. \"FNumber,FName,FCreateOrgId.FNumber\".",
    },
    { name: "FilterString", type: "string", description: "Filter in Kingdee's SQL-like syntax, e.g. \"FNumber like 'C%'\"." },
    { name: "OrderString", type: "string", description: "Order, e.g. \"FNumber ASC\"." },
    { name: "StartRow", type: "int", description: "Rows to skip (offset paging).", default: 0 },
    { name: "Limit", type: "int", description: "Rows to return, at most 2000.", default: 2000 },
  ],
  // The wire answer is a bare 2-D array ([[v1, v2], …], one inner array per row, in FieldKeys order),
  // which no dotted path can name. The client zips each row with FieldKeys and answers `{ rows: [...] }`,
  // so rows reach mappings as objects keyed by field key and the record schema stays open.
  record: {
    title: "executeBillQuery rows",
    fields: [],
    openKeys: {
      pattern: "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$",
      type: "string",
      description: "a field key from FieldKeys (e.g. FNumber, FCreateOrgId.FNumber); values keep Kingdee's JSON type",
    },
  },
  response: { records: "rows", paths: ["rows"] },
  limits: { maxPageSize: 2000 },
  defaults: { pageSize: 2000 },
};

/** Kingdee K3Cloud (金蝶云星空): the write target of the customer seed flow. */
export const kingdeeCatalog: ConnectorCatalog = {
  name: "kingdee",
  title: "金蝶云星空",
  operations: [batchSave, executeBillQuery],
  defaults: {
    // MsgCode 14 ("call limit reached") is the only throttling signal; no rate is published.
    retry: { attempts: 3, minMs: 1 * SECOND, maxMs: 30 * SECOND },
    timeoutMs: 30 * SECOND,
  },
};

/**
 * What ferry knows about a system without calling it: its operations, request parameters, response
 * shape, record schemas, forms and options. The compiler checks `.map` files against these catalogs;
 * the runtime reads defaults (rates, retries, page sizes) from them.
 */

export type FieldType = "string" | "int" | "number" | "bool" | "date" | "datetime" | "ref" | "object" | "array";

export interface FieldSchema {
  readonly name: string;
  readonly type: FieldType;
  /** The system always sends it (source) or refuses a row without it (target). */
  readonly required?: boolean;
  /** Human label, usually the system's own (Chinese) name for the field. */
  readonly label?: string;
  readonly description?: string;
  /** For `ref` fields: the key of the reference object, e.g. FNumber → {"FNumber": "100"}. */
  readonly refKey?: string;
  /** For `object` fields: their fields. For `array` fields: the fields of each element. */
  readonly fields?: readonly FieldSchema[];
  /** For `object` fields whose keys are data (Banniu columns): the keys allowed and their type. */
  readonly openKeys?: OpenKeys;
}

/**
 * The type of open-key values. `"any"` is for systems that describe no schema at all (the generic
 * http connector): values may be of any type, so the checker cannot hold them to one.
 */
export type OpenKeyType = FieldType | "any";

/** Keys that are data rather than schema, such as Banniu's numeric column ids. */
export interface OpenKeys {
  /** A JavaScript regular expression source every such key must match, e.g. "^[0-9]+$". */
  readonly pattern: string;
  readonly type: OpenKeyType;
  readonly description: string;
}

export interface RecordSchema {
  /** e.g. "gy.erp.shop.get records", "BD_Customer rows" — used in messages. */
  readonly title: string;
  readonly fields: readonly FieldSchema[];
  readonly openKeys?: OpenKeys;
}

export interface ParamSchema {
  readonly name: string;
  readonly type: FieldType;
  readonly required?: boolean;
  readonly description: string;
  readonly default?: string | number | boolean;
}

export interface OptionSchema {
  readonly name: string;
  readonly type: "bool" | "number" | "string";
  readonly description: string;
  readonly default?: string | number | boolean;
}

/** A target object of systems that write through forms (Kingdee). */
export interface FormSchema {
  readonly id: string;
  readonly title: string;
  /** Internal key field (Kingdee FCUSTID for BD_Customer). */
  readonly key: string;
  /** Business number field (FNumber). */
  readonly number: string;
  readonly row: RecordSchema;
}

export interface Rate {
  readonly count: number;
  readonly perMs: number;
}

export interface OperationLimits {
  /** Longest time window one call may ask for (Banniu task.list: one day). */
  readonly maxWindowMs?: number;
  readonly maxPageSize?: number;
  readonly maxBatch?: number;
}

export interface OperationSchema {
  /** The name written in `.map` files, e.g. "gy.erp.shop.get", "batchSave". */
  readonly name: string;
  /**
   * The operation's name on the wire when it differs from `name` (Kingdee "batchSave" is
   * `Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.BatchSave`). Clients call it; run summaries show it.
   */
  readonly wireName?: string;
  readonly direction: "read" | "write";
  readonly description: string;
  /** HTTP method the wire protocol uses. */
  readonly method: "GET" | "POST";
  readonly params: readonly ParamSchema[];
  /** The operation takes any request parameter (generic http): `params` lists none, the checker skips MAP3007. */
  readonly anyParams?: boolean;
  /** read: the record each row of the response is; write: the row written (absent when `forms` give it). */
  readonly record?: RecordSchema;
  /** write operations addressed by form (Kingdee): the forms and their row schemas. */
  readonly forms?: readonly FormSchema[];
  readonly options?: readonly OptionSchema[];
  /** read: response paths that exist (dotted), with the default records and total paths. */
  readonly response?: {
    readonly records: string;
    readonly total?: string;
    readonly paths: readonly string[];
  };
  /** read: any response path may exist (generic http); `response.paths` lists only the defaults, the checker skips MAP3008. */
  readonly anyResponsePath?: boolean;
  readonly limits?: OperationLimits;
  /**
   * write: how the target tells which rows it holds (Kingdee "ExecuteBillQuery", Banniu
   * "task.getTask"), so a write whose answer was lost (a crash, a timeout after sending) is confirmed
   * instead of sent again. Absent: the target cannot confirm, and such a write is sent again
   * (at-least-once; `ferry check` warns, MAP3011).
   */
  readonly confirm?: string;
  /** Defaults when the `.map` file gives none. */
  readonly defaults?: {
    readonly rate?: Rate;
    readonly batch?: number;
    readonly pageSize?: number;
  };
}

export interface ConnectorCatalog {
  readonly name: string;
  readonly title: string;
  readonly operations: readonly OperationSchema[];
  /**
   * Systems whose operations are arbitrary paths (generic http): any operation name starting with
   * `/` is this template, renamed. `operations` then only shows the templates for docs and messages.
   */
  readonly dynamic?: { readonly read: OperationSchema; readonly write: OperationSchema };
  readonly defaults: {
    readonly rate?: Rate;
    readonly retry: { readonly attempts: number; readonly minMs: number; readonly maxMs: number };
    readonly timeoutMs: number;
  };
}

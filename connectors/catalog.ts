/**
 * What ferry knows about a system without calling it: its operations, request parameters, response
 * shape, record schemas, forms and options. The compiler checks `.map` files against these catalogs;
 * the runtime reads defaults (rates, retries, page sizes) from them.
 */

/** Where a definition was written: a spec file under systems/ (built-in or the project's). */
export interface Origin {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

import type { SignedProtocol } from "./signed/recipe.js";

export type FieldType = "string" | "int" | "number" | "bool" | "date" | "datetime" | "ref" | "object" | "array";

export interface FieldSchema {
  /** Where the field was defined. */
  readonly origin?: Origin;
  /** How a date or datetime field is written. */
  readonly format?: string;
  readonly enum?: readonly (string | number | boolean)[];
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
  readonly label?: string;
  /** How a date or datetime parameter is written. */
  readonly format?: string;
  /** `reads`: when the flow gives no value, the record paths it reads, comma-separated (Kingdee FieldKeys). */
  readonly fill?: "reads";
  readonly enum?: readonly (string | number | boolean)[];
  readonly origin?: Origin;
  readonly name: string;
  readonly type: FieldType;
  readonly required?: boolean;
  readonly description: string;
  readonly default?: string | number | boolean;
}

export interface OptionSchema {
  readonly label?: string;
  readonly origin?: Origin;
  readonly name: string;
  readonly type: "bool" | "number" | "string";
  readonly description: string;
  readonly default?: string | number | boolean;
}

/** A target object of systems that write through forms (Kingdee). */
export interface FormSchema {
  readonly origin?: Origin;
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
  /** The system's own name of the operation (e.g. 店铺查询). */
  readonly label?: string;
  readonly origin?: Origin;
  /** read: the parameters that bound a time window. */
  readonly window?: OperationWindow;
  /** read: how answers are paged. */
  readonly paging?: OperationPaging;
  /** read: dotted paths of the record's id and business number. */
  readonly id?: string;
  readonly number?: string;
  /**
   * write: the operation whose body carries this one's rows several at a time (Banniu task.update
   * rows through task.batchUpdate); its batch size applies.
   */
  readonly sendAs?: string;
  /** write: per-row results, or one result for the whole call. */
  readonly result?: "per-row" | "whole-call";
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
  /** The built-in protocol kind the system speaks (envelope, signature, sessions, error answers). */
  readonly protocol?: string;
  readonly description?: string;
  readonly connection?: SystemConnection;
  /** The request recipe, envelope and error rules of a system that speaks the `signed` protocol. */
  readonly signed?: SignedProtocol;
  /** The spec files that define the system, the defining one first. */
  readonly files?: readonly string[];
  readonly origin?: Origin;
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

/** Where a system is and which variables hold its credentials. */
export interface SystemConnection {
  readonly url?: { readonly variable: string; readonly default?: string };
  readonly credentials: readonly { readonly variable: string; readonly description: string; readonly secret: boolean; readonly required: boolean }[];
}

/** The request parameters that bound a read's time window. */
export interface OperationWindow {
  readonly startParam: string;
  readonly endParam: string;
  /** A date pattern, or `epoch-seconds` / `epoch-millis`. */
  readonly format?: string;
  /** The record field the window filters on. */
  readonly field?: string;
}

/** How a read pages its answers. */
export interface OperationPaging {
  readonly kind: "number" | "offset" | "cursor" | "none";
  readonly param?: string;
  readonly from?: number | string;
  readonly sizeParam?: string;
}

/**
 * The Kingdee K3Cloud (金蝶云星空) connector: a write target over DynamicFormService.BatchSave, with
 * ExecuteBillQuery behind `lookup`. Wire facts: SYSTEMS.md, "Kingdee K3Cloud"; catalog: ./catalog.ts.
 */
import type { ConnectorContext, ConnectorFactory, LookupRequest, ReadRequest, ReadResponse, RowResult, SourceConnector, TargetConnector, TargetState, WriteRequest } from "../../runtime/connector.js";
import { CallError } from "../../runtime/faults.js";
import { SecretMasker } from "../../runtime/secrets.js";
import type { Scalar } from "../../runtime/types.js";
import type { ConnectorCatalog } from "../catalog.js";
import { readSettings } from "./config.js";
import { readBusinessInfo, type PulledForm } from "./metadata.js";
import { chunks, filterString, formOf, LOOKUP_CHUNK, planQuery, QUERY_LIMIT, queryRows, targetState } from "./lookup.js";
import { KingdeeSession } from "./session.js";
import { callFailure, MSG_SESSION_LOST, readStatus, rowResults } from "./status.js";
import { splitAppId } from "./signature.js";
import { postKingdee, scrub, servicePath, type KingdeeWire } from "./wire.js";

const DYNAMIC_FORM_SERVICE = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService";

/** Default cap on one answer: far above any batch's answer, far below what would exhaust memory. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Tuning for tests; flows configure the connector through the environment only. */
export interface KingdeeConnectorOptions {
  /** Answers above this many bytes are `malformed`. Default {@link MAX_RESPONSE_BYTES}. */
  readonly maxResponseBytes?: number;
  /** Kingdee's spec as the run's project sees it (its own forms and fields included); default the built-in one. */
  readonly system?: ConnectorCatalog;
}

/** BatchSave options Kingdee takes as arrays of field keys; `.map` files write them as comma lists. */
const LIST_OPTIONS: ReadonlySet<string> = new Set(["NeedUpDateFields", "NeedReturnFields"]);

/**
 * The `kingdee` connector factory (target only). Reads, when a target is created:
 * FERRY_KINGDEE_URL, FERRY_KINGDEE_ACCT_ID, FERRY_KINGDEE_USERNAME, then FERRY_KINGDEE_APP_ID +
 * FERRY_KINGDEE_APP_SECRET or FERRY_KINGDEE_PASSWORD; optionally FERRY_KINGDEE_LOGIN
 * (password | appsecret | sign | headers), FERRY_KINGDEE_LCID (2052) and FERRY_KINGDEE_ORG_NUM ("0").
 * Throws CallError "credentials" naming the variables that are missing.
 */
export function kingdeeConnector(options: KingdeeConnectorOptions = {}): ConnectorFactory {
  return { name: "kingdee", target: (ctx) => kingdeeTarget(ctx, options), source: (ctx) => kingdeeSource(ctx, options) };
}

/** One identity towards Kingdee (a session, or signed calls) and the calls made with it. */
interface KingdeeLink {
  exchange(operation: string, body: unknown, timeoutMs: number, signal: AbortSignal | undefined): Promise<unknown>;
  clean(text: string): string;
  permissionHint(rights: string): string;
}

function kingdeeLink(ctx: ConnectorContext, options: KingdeeConnectorOptions): KingdeeLink {
  const settings = readSettings(ctx.env);
  // The part of the AppID after `_` encodes the client secret that signs X-Api-Signature.
  const appIdSecret = settings.appId?.includes("_") ? settings.appId.slice(settings.appId.indexOf("_") + 1) : undefined;
  const fixed = new SecretMasker([settings.password, settings.appSecret, appIdSecret, appIdSecret && splitAppId(settings.appId ?? "").clientSecret]);
  // Rebuilt only when a login brings new session ids (secrets too).
  let masker = { sessions: "", masker: fixed };
  const wire: KingdeeWire = {
    baseUrl: settings.baseUrl,
    maxResponseBytes: options.maxResponseBytes ?? MAX_RESPONSE_BYTES,
    now: () => ctx.clock.now(),
    // Called only once calls run, after `identity` exists.
    masker: () => {
      const sessions = identity.secrets();
      const key = sessions.join("\u0000");
      if (key !== masker.sessions) masker = { sessions: key, masker: fixed.with(sessions) };
      return masker.masker;
    },
  };
  const identity = new KingdeeSession(settings, wire, () => ctx.clock.now());
  const clean = (text: string) => scrub(wire, text);
  // Signed calls are refused as "no permission" when the signature fails, so point at the signing inputs too.
  const permissionHint = (rights: string) =>
    `${settings.mode === "headers" ? `check ${identity.loginVariables}, or ` : ""}grant the integration user (FERRY_KINGDEE_USERNAME) ${rights}`;

  /**
   * Calls a data service; when Kingdee reports the session lost, logs in again and sends the same
   * call once more. That is safe: a call without a session did nothing.
   */
  async function exchange(operation: string, body: unknown, timeoutMs: number, signal: AbortSignal | undefined): Promise<unknown> {
    const call = `kingdee ${operation}`;
    const path = servicePath(wire, `${DYNAMIC_FORM_SERVICE}.${operation}`);
    for (let attempt = 1; ; attempt++) {
      const credentials = await identity.authorize(path, timeoutMs, signal);
      const reply = await postKingdee(wire, { call, path, body, headers: credentials.headers, timeoutMs, signal });
      identity.absorb(credentials.generation, reply.setCookies);
      const status = readStatus(reply.json);
      if (status?.isSuccess === false && status.msgCode === MSG_SESSION_LOST) {
        identity.invalidate(credentials.generation);
        if (attempt === 1) continue;
        // Signed calls have no session to lose: a second refusal means the signature is not accepted.
        if (settings.mode === "headers") {
          throw new CallError(call, "credentials", `Kingdee reports the session lost although every call is signed (FERRY_KINGDEE_LOGIN=headers); check ${identity.loginVariables}`);
        }
        throw new CallError(call, "session", `Kingdee reports the session lost again right after a new login; check ${identity.loginVariables}`);
      }
      return reply.json;
    }
  }

  return { exchange, clean, permissionHint };
}

/**
 * ExecuteBillQuery as a source: FormId, FieldKeys (the flow's own paths when it gives none), a
 * FilterString (the window's bounds, say) and offset paging over StartRow/Limit. Each answered row is
 * zipped with FieldKeys into an object, references rebuilt (`FUseOrgId.FNumber` → `{FUseOrgId:
 * {FNumber: …}}`), so the flow reads it by the paths it named.
 */
function kingdeeSource(ctx: ConnectorContext, options: KingdeeConnectorOptions): SourceConnector {
  const { exchange, clean, permissionHint } = kingdeeLink(ctx, options);
  return {
    async read(request: ReadRequest): Promise<ReadResponse> {
      const call = "kingdee ExecuteBillQuery";
      if (request.operation !== "executeBillQuery" && request.operation !== "billQuery") throw new CallError(call, "rejected", `kingdee reads with executeBillQuery or billQuery, not ${JSON.stringify(request.operation)}`);
      const service = request.operation === "billQuery" ? "BillQuery" : "ExecuteBillQuery";
      const p = request.params;
      const formId = typeof p.FormId === "string" ? p.FormId.trim() : "";
      const fieldKeys = typeof p.FieldKeys === "string" ? p.FieldKeys.split(",").map((k) => k.trim()).filter((k) => k !== "") : [];
      if (formId === "" || fieldKeys.length === 0) throw new CallError(call, "rejected", "executeBillQuery needs FormId and FieldKeys (a flow that reads fields fills FieldKeys with them)");
      const form = formOf(formId, options.system);
      const data = {
        FormId: formId,
        FieldKeys: fieldKeys.join(","),
        FilterString: typeof p.FilterString === "string" ? p.FilterString : "",
        // Offset paging needs a stable order: the form's key unless the flow orders otherwise.
        OrderString: typeof p.OrderString === "string" && p.OrderString.trim() !== "" ? p.OrderString : form ? `${form.key} ASC` : "",
        StartRow: Number(p.StartRow ?? 0),
        Limit: Number(p.Limit ?? QUERY_LIMIT),
        TopRowCount: 0,
      };
      const answer = await exchange(service, { data }, request.timeoutMs, request.signal);
      const status = readStatus(answer);
      if (status) {
        const failure = callFailure(`kingdee ${service}`, status, 0, permissionHint(`rights to query ${formId}`), clean);
        throw failure ?? new CallError(call, "malformed", "the query answered a status instead of rows");
      }
      if (!Array.isArray(answer)) throw new CallError(call, "malformed", `the query answer is not a 2-D array`);
      const records = answer.map((row, i) => {
        // BillQuery answers each row as an object keyed by field key; ExecuteBillQuery as a list in FieldKeys order.
        if (row !== null && typeof row === "object" && !Array.isArray(row)) return zipRow(fieldKeys, fieldKeys.map((k) => (row as Record<string, unknown>)[k] ?? null));
        if (!Array.isArray(row) || row.length !== fieldKeys.length) throw new CallError(call, "malformed", `query row ${i + 1} has ${Array.isArray(row) ? `${row.length} values` : "no values"}, expected ${fieldKeys.length} (${data.FieldKeys})`);
        return zipRow(fieldKeys, row);
      });
      return { records, total: null, cursor: null };
    },
  };
}

/** A query row as an object: `A.B` keys nest, so `FUseOrgId.FNumber` reads as the reference it is. */
function zipRow(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  keys.forEach((key, i) => {
    const parts = key.split(".");
    let at = row;
    for (const part of parts.slice(0, -1)) {
      const next = at[part];
      at = (next !== null && typeof next === "object" ? next : (at[part] = {})) as Record<string, unknown>;
    }
    at[parts[parts.length - 1]!] = values[i] ?? null;
  });
  return row;
}

/** A form's metadata from QueryBusinessInfo: its fields and entry tables, a tenant's own among them. */
export async function kingdeeFormMetadata(ctx: ConnectorContext, formId: string, timeoutMs: number, options: KingdeeConnectorOptions = {}): Promise<PulledForm> {
  const call = "kingdee QueryBusinessInfo";
  const { exchange, clean, permissionHint } = kingdeeLink(ctx, options);
  const answer = await exchange("QueryBusinessInfo", { data: { FormId: formId } }, timeoutMs, undefined);
  const status = readStatus(answer);
  const failure = status && callFailure(call, status, 0, permissionHint(`rights on ${formId}`), clean);
  if (failure) throw failure;
  try {
    return readBusinessInfo(answer, formId);
  } catch (error) {
    throw new CallError(call, "malformed", error instanceof Error ? error.message : String(error));
  }
}

function kingdeeTarget(ctx: ConnectorContext, options: KingdeeConnectorOptions): TargetConnector {
  const { exchange, clean, permissionHint } = kingdeeLink(ctx, options);
  return {
    async write(request: WriteRequest): Promise<readonly RowResult[]> {
      // Save carries one row (`Model` an object), BatchSave many (`Model` a list); both answer per row by DIndex.
      const service = request.operation === "save" ? "Save" : "BatchSave";
      const call = `kingdee ${service}`;
      if (request.operation !== "batchSave" && request.operation !== "save") throw new CallError(call, "rejected", `kingdee writes with batchSave or save, not ${JSON.stringify(request.operation)}`);
      if (request.form === null) throw new CallError(call, "rejected", `${request.operation} needs a form, e.g. BD_Customer`);
      if (request.rows.length === 0) return [];
      if (service === "Save" && request.rows.length > 1) throw new CallError(call, "rejected", `save sends one row per call; ${request.rows.length} were given (set \`batch 1\`, or write with batchSave)`);
      const rows = request.rows.map((r) => r.row);
      const data = { ...batchSaveOptions(request.options), Model: service === "Save" ? rows[0] : rows };
      const answer = await exchange(service, { formid: request.form, data }, request.timeoutMs, request.signal);
      const status = readStatus(answer);
      if (!status) throw new CallError(call, "malformed", "the answer has no Result.ResponseStatus");
      const failure = callFailure(call, status, request.rows.length, permissionHint(`rights on ${request.form}`), clean);
      if (failure) throw failure;
      return rowResults(status, request.rows.length, clean);
    },

    async lookup(request: LookupRequest): Promise<readonly TargetState[]> {
      const call = "kingdee ExecuteBillQuery";
      if (request.form === null) throw new CallError(call, "rejected", "a lookup needs the form, e.g. BD_Customer");
      if (request.values.length === 0) return [];
      const plan = planQuery(request.form, request.key, request.fields, options.system);
      const states: TargetState[] = [];
      for (const values of chunks([...new Set(request.values)], LOOKUP_CHUNK)) {
        // One key may match several rows (a customer allocated to several organisations): page until a short page.
        for (let startRow = 0; ; startRow += QUERY_LIMIT) {
          const data = { FormId: plan.formId, FieldKeys: plan.fieldKeys, FilterString: filterString(plan.keyColumn, values), OrderString: "", StartRow: startRow, Limit: QUERY_LIMIT };
          const answer = await exchange("ExecuteBillQuery", { data }, request.timeoutMs, undefined);
          const status = readStatus(answer);
          if (status) {
            const failure = callFailure(call, status, 0, permissionHint(`rights to query ${plan.formId}`), clean);
            throw failure ?? new CallError(call, "malformed", "the query answered a status instead of rows");
          }
          const rows = queryRows(call, answer, plan);
          for (const row of rows) states.push(targetState(row, plan));
          if (rows.length < QUERY_LIMIT) break;
        }
      }
      return states;
    },
  };
}

/**
 * BatchSave's `data` options from the flow's: everything passes through, comma lists become the
 * arrays Kingdee takes, and the two switches the seed flows rely on are always sent explicitly.
 */
export function batchSaveOptions(options: Readonly<Record<string, Scalar>>): Record<string, unknown> {
  const data: Record<string, unknown> = { IsVerifyBaseDataField: false, IsAutoSubmitAndAudit: false };
  for (const [name, value] of Object.entries(options)) {
    if (value === null) continue;
    data[name] = LIST_OPTIONS.has(name) && typeof value === "string" ? value.split(",").map((s) => s.trim()).filter((s) => s !== "") : value;
  }
  return data;
}

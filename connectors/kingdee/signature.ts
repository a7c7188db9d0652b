/**
 * Kingdee's signatures, shared by the client and the sandbox so both sides compute them one way:
 * the LoginBySign `sign` and the nine signature headers of 第三方系统登录授权 (SYSTEMS.md, Kingdee).
 */
import { createHash, createHmac } from "node:crypto";

/** The key the official SDKs XOR a 32-character AppID secret part with. */
const XOR_KEY = Buffer.from("0054f397c6234378b09ca7d3e5debce7", "ascii");

/** What the signature headers are computed from. */
export interface SignatureInput {
  /** The full AppID, `clientId_secretPart`. */
  readonly appId: string;
  readonly appSecret: string;
  readonly acctId: string;
  readonly username: string;
  readonly lcid: number | string;
  readonly orgNum: string;
  /** The request's path and query as sent, e.g. `/K3Cloud/Kingdee.BOS…BatchSave.common.kdsvc`. */
  readonly pathAndQuery: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** Random hex, fresh per request. */
  readonly nonce: string;
}

/**
 * The nine headers of Kingdee's signature-header auth, keyed by their canonical spelling. Send them
 * on every call instead of a session cookie.
 */
export function signatureHeaders(input: SignatureInput): Record<string, string> {
  const { clientId, clientSecret } = splitAppId(input.appId);
  const timestamp = String(input.timestamp);
  const appText = appDataText(input);
  return {
    "X-Api-ClientID": clientId,
    "X-Api-Auth-Version": "2.0",
    "x-api-timestamp": timestamp,
    "x-api-nonce": input.nonce,
    "x-api-signheaders": "x-api-timestamp,x-api-nonce",
    "X-Api-Signature": hmacHexBase64(clientSecret, apiSigningText(input.pathAndQuery, input.nonce, timestamp)),
    "X-Kd-Appkey": input.appId,
    "X-Kd-Appdata": Buffer.from(appText, "utf8").toString("base64"),
    // Over the plain text, not over its base64: what the SDKs sign and Kingdee checks.
    "X-Kd-Signature": kdSignature(input.appId, appText, input.appSecret),
  };
}

/** `acctId,username,lcid,orgNum`: X-Kd-Appdata is its base64, X-Kd-Signature signs it as is. */
export function appDataText(input: Pick<SignatureInput, "acctId" | "username" | "lcid" | "orgNum">): string {
  return `${input.acctId},${input.username},${input.lcid},${input.orgNum}`;
}

/** X-Kd-Signature: HMAC-SHA256 with the AppSecret over the AppID followed by the plain app data text. */
export function kdSignature(appId: string, appText: string, appSecret: string): string {
  return hmacHexBase64(appSecret, appId + appText);
}

/** The text `X-Api-Signature` signs. */
export function apiSigningText(pathAndQuery: string, nonce: string, timestamp: string): string {
  return `POST\n${formUrlEncode(pathAndQuery)}\n\nx-api-nonce:${nonce}\nx-api-timestamp:${timestamp}\n`;
}

/** HMAC-SHA256 written as lowercase hex, and that hex text base64-encoded: Kingdee's signature format. */
export function hmacHexBase64(key: string, text: string): string {
  const hex = createHmac("sha256", Buffer.from(key, "utf8")).update(text, "utf8").digest("hex");
  return Buffer.from(hex, "ascii").toString("base64");
}

/** The AppID's client id (before `_`) and the client secret derived from the part after it. */
export function splitAppId(appId: string): { clientId: string; clientSecret: string } {
  const at = appId.indexOf("_");
  if (at < 0) return { clientId: appId, clientSecret: "" };
  return { clientId: appId.slice(0, at), clientSecret: clientSecretOf(appId.slice(at + 1)) };
}

/**
 * The client secret hidden in an AppID's second part: a 32-character part is base64 whose bytes are
 * XORed with the SDKs' fixed key, anything else is ROT13 (as the official .NET SDK decodes it).
 */
export function clientSecretOf(part: string): string {
  if (part.length === 32) {
    const bytes = Buffer.from(part, "base64");
    for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i] ?? 0) ^ (XOR_KEY[i % XOR_KEY.length] ?? 0);
    return bytes.toString("base64");
  }
  return rot13(part);
}

function rot13(text: string): string {
  return text.replace(/[A-Za-z]/g, (c) => {
    const base = c <= "Z" ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/**
 * Form-style URL encoding (as Java's URLEncoder): letters, digits and `.-*_` stay, a space becomes
 * `+`, every other UTF-8 byte becomes `%XX` with upper-case hex, so `/` is `%2F`.
 */
export function formUrlEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_]/.test(c)) out += c;
    else if (byte === 0x20) out += "+";
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * LoginBySign's `sign`: SHA-256 hex of acctId, username, appId, appSecret and timestamp, sorted
 * (by code unit, as Java's Arrays.sort) and concatenated.
 */
export function loginSign(acctId: string, username: string, appId: string, appSecret: string, timestamp: string): string {
  const parts = [acctId, username, appId, appSecret, timestamp].sort();
  return createHash("sha256").update(parts.join(""), "utf8").digest("hex");
}

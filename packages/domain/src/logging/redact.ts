/**
 * Secret redaction for log events (SPEC §7): applied at ingest, before anything is stored, to the
 * attributes (recursively, keys at any depth) and to the message text.
 *
 * - An attribute whose key names a secret (password, passwd, secret, token, authorization, cookie,
 *   api key, private key, credentials, session id…) keeps its key and loses its value: `[REDACTED]`.
 * - Any string (attribute value or message) has embedded secrets replaced: `Bearer <token>`,
 *   `key=value` / `key: value` pairs whose key names a secret, Atrium API keys, JWTs, and the
 *   well-known shapes of other vendors' keys (AWS access keys, GitHub and Slack tokens, `sk_…`).
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /pass(word|wd|phrase)?$|^pwd$|secret|token|authori[sz]ation|cookie|api[-_]?key|apikey|private[-_]?key|credential|session[-_]?id|^auth$|signature|x[-_]api[-_]key/i;

/** `password=hunter2`, `token: abc`, `"secret":"x"` inside free text. */
const PAIR =
  /\b((?:[a-z0-9_-]*(?:pass(?:word|wd|phrase)?|pwd|secret|token|authori[sz]ation|cookie|api[-_]?key|apikey|private[-_]?key|credentials?|session[-_]?id|signature))["']?\s*[:=]\s*)(?:"[^"]*"|'[^']*'|[^\s,;&"']+)/gi;
const BEARER = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const ATRIUM_KEY = /\batr_[A-Za-z0-9]{6,}_[A-Za-z0-9_-]{16,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;
const VENDOR_KEYS =
  /\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|sk_(?:live|test)_[A-Za-z0-9]{10,}|sk-[A-Za-z0-9_-]{20,})\b/g;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** The text with every embedded secret replaced by `[REDACTED]`. */
export function redactText(text: string): string {
  // Cheap exits: most log lines carry none of the markers.
  if (!/[=:]|bearer|basic|token|atr_|eyJ|AKIA|gh|xox|sk[-_]/i.test(text)) return text;
  return text
    .replace(BEARER, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(ATRIUM_KEY, REDACTED)
    .replace(JWT, REDACTED)
    .replace(VENDOR_KEYS, REDACTED)
    .replace(PAIR, (_match, prefix: string) => `${prefix}${REDACTED}`);
}

/** A copy of the value with secrets redacted at any depth (keys by name, strings by content). */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = isSecretKey(key) && inner !== null && inner !== '' ? REDACTED : redactValue(inner, depth + 1);
  }
  return out;
}

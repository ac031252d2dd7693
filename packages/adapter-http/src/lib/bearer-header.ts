import { type HttpOutput, quoted } from './http.ts';

/** What an `Authorization` header holds, for a bearer token. */
export type BearerHeader =
  | { readonly kind: 'token'; readonly token: string }
  /** No credentials: a plain challenge, no error code (RFC 6750 section 3.1). */
  | { readonly kind: 'missing' }
  /** `Bearer` with no usable token: `invalid_request`, 400. */
  | { readonly kind: 'malformed' }
  /** A token outside the b64token syntax: `invalid_token`, 401. */
  | { readonly kind: 'invalid' };

function isB64tokenChar(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d || // -
    c === 0x2e || // .
    c === 0x5f || // _
    c === 0x7e || // ~
    c === 0x2b || // +
    c === 0x2f // /
  );
}

/**
 * Reads `Authorization: Bearer <b64token>` (RFC 6750 section 2.1) without
 * regular expressions (an engine keeps a regular expression's last input,
 * and this one is a credential).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 */
export function readBearer(header: string | null | undefined): BearerHeader {
  if (header === null || header === undefined || header === '') return { kind: 'missing' };
  if (header.length < 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return { kind: 'missing' };
  if (header.length === 6) return { kind: 'malformed' };
  if (header.charCodeAt(6) !== 0x20) return { kind: 'missing' };
  let start = 7;
  while (header.charCodeAt(start) === 0x20) start++;
  let end = header.length;
  while (end > start && header.charCodeAt(end - 1) === 0x20) end--;
  if (start === end) return { kind: 'malformed' };
  let body = end;
  while (body > start && header.charCodeAt(body - 1) === 0x3d /* = */) body--;
  if (body === start) return { kind: 'invalid' };
  for (let i = start; i < body; i++) {
    const c = header.charCodeAt(i);
    if (c === 0x20) return { kind: 'malformed' };
    if (!isB64tokenChar(c)) return { kind: 'invalid' };
  }
  return { kind: 'token', token: header.slice(start, end) };
}

/**
 * A bearer challenge: `WWW-Authenticate: Bearer realm=..., error=...`, with
 * the error also as JSON, and `no-store`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function bearerChallenge(
  status: number,
  fields: Readonly<Record<string, string>>,
  extraHeaders: Readonly<Record<string, string>> = {},
): HttpOutput {
  const params = Object.entries(fields)
    .filter(([name]) => name !== 'error_description' || 'error' in fields)
    .map(([name, value]) => `${name}=${quoted(value)}`);
  const body =
    'error' in fields
      ? JSON.stringify({ error: fields.error, error_description: fields.error_description })
      : '';
  return {
    status,
    headers: {
      'www-authenticate': `Bearer ${params.join(', ')}`,
      'cache-control': 'no-store',
      ...(body === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...extraHeaders,
    },
    body,
  };
}

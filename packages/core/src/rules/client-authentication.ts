import { err, ok, type Result } from 'neverthrow';
import { type InvalidClientError, invalidClient, type OAuthErrorOf, oauthError } from '../errors.ts';
import { type Params, single } from '../params.ts';
import type { ClientRecord, TokenEndpointAuthMethod } from '../ports.ts';

/** The credentials a request presented, before they are checked. */
export interface PresentedCredentials {
  readonly method: TokenEndpointAuthMethod;
  readonly clientId: string;
  /** The secret, for `client_secret_basic` and `client_secret_post`. */
  readonly secret?: string;
}

type CredentialsError = InvalidClientError | OAuthErrorOf<'invalid_request'>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 6749 Appendix B: `application/x-www-form-urlencoded` decoding of one Basic half. */
function formDecode(text: string): string | undefined {
  // Nothing to decode (the usual case: generated ids and secrets).
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** True for the `Basic` scheme, in any case, followed by a space. */
function isBasicScheme(header: string): boolean {
  return header.length >= 6 && header.slice(0, 6).toLowerCase() === 'basic ';
}

function isBase64Char(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2b ||
    c === 0x2f
  );
}

/**
 * The token68 of `Basic <token>` (spaces around it allowed), or `undefined`.
 * Read without regular expressions: the engine remembers a regular
 * expression's last input, which would keep the credentials alive.
 */
function basicToken(header: string): string | undefined {
  if (!isBasicScheme(header)) return undefined;
  let start = 6;
  while (header.charCodeAt(start) === 0x20) start++;
  let end = header.length;
  while (end > start && header.charCodeAt(end - 1) === 0x20) end--;
  let padding = end;
  while (padding > start && header.charCodeAt(padding - 1) === 0x3d /* = */) padding--;
  if (padding === start || end - padding > 2) return undefined;
  for (let i = start; i < padding; i++) if (!isBase64Char(header.charCodeAt(i))) return undefined;
  return header.slice(start, end);
}

function decodeBasic(header: string): { id: string; secret: string } | undefined {
  const token = basicToken(header);
  if (token === undefined || token.length % 4 !== 0) return undefined;
  let text: string;
  try {
    const binary = atob(token);
    // ASCII is its own UTF-8 decoding; anything else goes through the strict decoder.
    if (isAscii(binary)) text = binary;
    else {
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      text = utf8.decode(bytes);
    }
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const id = formDecode(text.slice(0, colon));
  const secret = formDecode(text.slice(colon + 1));
  if (id === undefined || secret === undefined || id === '') return undefined;
  return { id, secret };
}

/**
 * Reads the credentials a token, revocation or introspection request
 * presents: HTTP Basic (`client_secret_basic`), `client_id` and
 * `client_secret` in the body (`client_secret_post`), or `client_id` alone
 * (`none`, public clients). Two methods at once is `invalid_request`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 * @see https://www.rfc-editor.org/rfc/rfc6749#appendix-B
 */
export function readClientCredentials(
  authorization: string | undefined,
  params: Params,
): Result<PresentedCredentials, CredentialsError> {
  const bodyId = single(params, 'client_id');
  if (bodyId.isErr()) return err(bodyId.error);
  const bodySecret = single(params, 'client_secret');
  if (bodySecret.isErr()) return err(bodySecret.error);

  if (authorization !== undefined && authorization !== '') {
    // RFC 6749 section 5.2: whatever the scheme, a client that tried the Authorization header gets 401.
    if (!isBasicScheme(authorization)) {
      return err(invalidClient('Unsupported client authentication scheme.', { basicAuth: true }));
    }
    if (bodySecret.value !== undefined) {
      return err(oauthError('invalid_request', 'Use only one client authentication method.'));
    }
    const basic = decodeBasic(authorization);
    if (basic === undefined) {
      return err(invalidClient('The HTTP Basic credentials are malformed.', { basicAuth: true }));
    }
    if (bodyId.value !== undefined && bodyId.value !== basic.id) {
      return err(oauthError('invalid_request', 'The client_id does not match the HTTP Basic credentials.'));
    }
    return ok({ method: 'client_secret_basic', clientId: basic.id, secret: basic.secret });
  }
  if (bodyId.value === undefined) {
    return err(invalidClient('Client authentication is required.', { basicAuth: false }));
  }
  if (bodySecret.value !== undefined) {
    return ok({ method: 'client_secret_post', clientId: bodyId.value, secret: bodySecret.value });
  }
  return ok({ method: 'none', clientId: bodyId.value });
}

/**
 * Decides whether presented credentials authenticate `client`: it must
 * exist, use the method it registered, and (for secrets) `secretMatches`,
 * which the caller computed with a constant-time comparison of digests.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2.1
 */
export function authenticateClient(
  client: ClientRecord | undefined,
  presented: PresentedCredentials,
  secretMatches: boolean,
): Result<ClientRecord, InvalidClientError> {
  const basicAuth = presented.method === 'client_secret_basic';
  const fail = (detail: string) => err(invalidClient('Client authentication failed.', { basicAuth, detail }));
  if (client === undefined) return fail('unknown client');
  if (client.tokenEndpointAuthMethod !== presented.method) {
    return fail(`client registered ${client.tokenEndpointAuthMethod}, used ${presented.method}`);
  }
  if (presented.method !== 'none' && !secretMatches) return fail('wrong secret');
  return ok(client);
}

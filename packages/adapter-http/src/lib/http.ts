/** Marks a body that exceeded the cap. */
export const tooLarge: unique symbol = Symbol('too large');

/**
 * The part of an HTTP request the endpoints read. The Fetch handler and the
 * `node:http` bridge each implement it, so the node path never has to build
 * a full `Request` for the token, revocation and introspection endpoints.
 */
export interface HttpInput {
  readonly method: string;
  readonly pathname: string;
  /** Raw query string without the `?` ('' when none). */
  readonly query: string;
  /** A header by lower-case name. */
  header(name: string): string | undefined;
  /** The peer's address as the runtime saw it (the socket), when known. */
  readonly remoteAddress: string | undefined;
  /** The body as text, or {@link tooLarge} when it is longer than `limit` bytes. */
  readBody(limit: number): Promise<string | typeof tooLarge>;
  /** A Web `Request` for host callbacks (built only when asked). */
  toRequest(): Request;
}

/** A response as plain data; the runtime binding writes it out. */
export interface HttpOutput {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What an endpoint answers: plain data, or a host's own `Response` passed through. */
export type EndpointResult = HttpOutput | Response;

/** Headers on every HTML page: no framing (clickjacking), no referrer leaks, no caching. */
export const htmlSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** Headers on every token, revocation and introspection response (RFC 6749 section 5.1). */
export const noStore: Readonly<Record<string, string>> = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** The client's body could not be read (the connection broke mid-body): the client's problem, a 400. */
export class BodyReadError extends Error {
  override readonly name = 'BodyReadError';
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpOutput {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** Escapes a string for a quoted-string in a `WWW-Authenticate` header (ASCII already). */
export function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, '')}"`;
}

/** A plain redirect. */
export function redirect(status: 302 | 303, location: string): HttpOutput {
  return {
    status,
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    body: '',
  };
}

/** Turns an {@link EndpointResult} into a Web `Response`. */
export function toResponse(result: EndpointResult): Response {
  if (result instanceof Response) return result;
  return new Response(result.status === 204 || result.status === 304 ? null : result.body, {
    status: result.status,
    headers: result.headers,
  });
}

const nothing = /(?:)/;

/**
 * Makes the engine forget the last input of a regular expression.
 *
 * Engines keep the last string a regular expression ran on (the legacy
 * `RegExp.input`) until the next one runs, and with it, through V8's
 * substring views, the whole request it was cut from: a body holding a
 * client secret, a header holding a token. Running one on the empty string
 * after each request drops that reference.
 */
export function forgetLastInput(): void {
  nothing.exec('');
}

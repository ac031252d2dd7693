/**
 * The request target and `Host` of a raw HTTP/1.x request, checked before
 * anything else reads them (RFC 9112 section 3.2). Everything here is
 * untrusted: a value that cannot be parsed is a rejection, never an exception.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9112#section-3.2
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-7.2
 */

/** A checked request target: the path and query to route, and the origin to build URLs with. */
export interface CheckedTarget {
  readonly kind: 'origin';
  /** The path, starting with `/`. */
  readonly pathname: string;
  /** The raw query, without `?` ('' when none). */
  readonly query: string;
  /** `scheme://authority` for building a Web `Request` URL. */
  readonly origin: string;
}

/** Why a request was refused before routing, with the status to answer. */
export interface RejectedTarget {
  readonly kind: 'rejected';
  readonly status: 400 | 405;
  readonly description: string;
}

/** `OPTIONS *`: a question about the server as a whole (RFC 9110 section 9.3.7). */
export interface AsteriskTarget {
  readonly kind: 'asterisk';
}

export type TargetCheck = CheckedTarget | RejectedTarget | AsteriskTarget;

/**
 * Methods no endpoint serves and that a Web `Request` cannot even carry
 * (Fetch forbids them): answered 405 before routing.
 *
 * @see https://fetch.spec.whatwg.org/#forbidden-method
 */
const unsupportedMethods = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * `uri-host [ ":" port ]`: an IP literal in brackets, or a reg-name of
 * unreserved, sub-delims and percent-encoded characters (so no userinfo,
 * no spaces, no path). The port is checked as a number below.
 */
const hostPattern = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::([0-9]{1,5}))?$/;

function rejected(status: 400 | 405, description: string): RejectedTarget {
  return { kind: 'rejected', status, description };
}

/** The last `Host` found valid, and its authority: nearly every request repeats it. */
let lastHost = '';
let lastAuthority = '';

/** The `Host` value as an origin's authority, or `undefined` when it is not a valid `Host`. */
export function checkHost(host: string): string | undefined {
  if (host === lastHost && host !== '') return lastAuthority;
  const match = hostPattern.exec(host);
  if (match === null) return undefined;
  const port = match[2];
  if (port !== undefined && Number(port) > 65_535) return undefined;
  try {
    // The WHATWG parser has the last word on what a URL may hold (IPv6 syntax, percent-encoding).
    const url = new URL(`http://${host}/`);
    if (url.host === '') return undefined;
    lastHost = host;
    lastAuthority = url.host;
    return url.host;
  } catch {
    return undefined;
  }
}

/** How many `Host` field lines a request carried (RFC 9112 section 3.2: more than one is a 400). */
function hostCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') count++;
  }
  return count;
}

/** What {@link checkTarget} reads of a raw request. */
export interface RawRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly rawHeaders: readonly string[];
  readonly host: string | undefined;
  readonly encrypted: boolean;
}

/**
 * Checks a raw request's method, target and `Host`. Origin-form and
 * absolute-form targets are accepted (the latter's authority then wins over
 * `Host`, RFC 9112 section 3.2.2); `*` only with OPTIONS; anything else,
 * a missing (HTTP/1.1), repeated or malformed `Host`, is a 400; CONNECT,
 * TRACE and TRACK are a 405.
 */
export function checkTarget(raw: RawRequest): TargetCheck {
  if (unsupportedMethods.has(raw.method)) return rejected(405, 'This method is not allowed.');
  const hosts = hostCount(raw.rawHeaders);
  if (hosts > 1) return rejected(400, 'The request has more than one Host header.');
  if (hosts === 0 && raw.httpVersion !== '1.0') return rejected(400, 'The Host header is missing.');
  const scheme = raw.encrypted ? 'https' : 'http';
  const url = raw.url;

  if (url === '*') {
    return raw.method === 'OPTIONS' ? { kind: 'asterisk' } : rejected(400, 'The request target is invalid.');
  }
  if (url.startsWith('/')) {
    const authority = raw.host === undefined ? 'localhost' : checkHost(raw.host);
    if (authority === undefined) return rejected(400, 'The Host header is invalid.');
    const origin = `${scheme}://${authority}`;
    const q = url.indexOf('?');
    return {
      kind: 'origin',
      pathname: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      origin,
    };
  }
  if (/^https?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return rejected(400, 'The request target is invalid.');
    }
    if (parsed.username !== '' || parsed.password !== '' || parsed.host === '') {
      return rejected(400, 'The request target is invalid.');
    }
    // The Host header must still be well-formed, even though the target's authority wins.
    if (raw.host !== undefined && checkHost(raw.host) === undefined) {
      return rejected(400, 'The Host header is invalid.');
    }
    return {
      kind: 'origin',
      pathname: parsed.pathname,
      query: parsed.search.slice(1),
      origin: `${scheme}://${parsed.host}`,
    };
  }
  return rejected(400, 'The request target is invalid.');
}

/**
 * A raw HTTP/1.x client over `node:net`: it writes exactly the bytes it is
 * given (no normalisation at all) and parses whatever comes back, so the
 * fuzz test sees what a hostile client would see.
 */
import { createConnection } from 'node:net';

/** One response as read off the wire. */
export interface ParsedResponse {
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  /** In wire order, names lower-cased. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** Where it started in the received bytes (for the report). */
  readonly offset: number;
}

/** How an exchange ended. */
export type Outcome =
  /** At least one complete final response (and nothing truncated after it). */
  | 'response'
  /** EOF before any byte. */
  | 'closed'
  /** ECONNRESET / EPIPE before any byte. */
  | 'reset'
  /** Nobody listening (the provider is down). */
  | 'refused'
  /** Neither a complete response nor a close within the time limit. */
  | 'timeout'
  /** A response started but the connection closed before its end. */
  | 'truncated'
  /** Bytes that are not an HTTP response. */
  | 'garbled';

export interface RawResult {
  readonly outcome: Outcome;
  /** Final (non-1xx) responses, complete ones only. */
  readonly responses: readonly ParsedResponse[];
  readonly received: Buffer;
  /** The socket error code, if any (ECONNRESET, EPIPE, ...). */
  readonly error?: string;
  readonly ms: number;
}

export interface RawExchange {
  readonly port: number;
  /** Written in order; with several, a short pause between them (split packets). */
  readonly writes: readonly Buffer[];
  /** `socket.end()` after the last write, so the server sees EOF. */
  readonly halfClose: boolean;
  /** The first request is HEAD: its response has no body. */
  readonly head: boolean;
  /** Local loopback address to connect from (127.x.y.z), so per-IP limits stay per test. */
  readonly localAddress?: string;
  readonly timeoutMs: number;
  /** Without half-close: how long to wait for more after the first complete response (default 0). */
  readonly graceMs?: number;
}

/** Header value by lower-case name (the first one), or undefined. */
export function headerOf(response: ParsedResponse, name: string): string | undefined {
  return response.headers.find(([n]) => n === name)?.[1];
}

/** All values of a header, by lower-case name. */
export function headersOf(response: ParsedResponse, name: string): string[] {
  return response.headers.filter(([n]) => n === name).map(([, v]) => v);
}

/** Headers Node's HTTP server writes by itself (framing and connection management). */
const nodeHeaders = new Set(['connection', 'date', 'transfer-encoding', 'content-length', 'keep-alive']);

/**
 * A response Node's HTTP server wrote by itself, not the app: the parser's
 * bare answer to a request it rejected (`clientError`), the 400 for an
 * HTTP/1.1 request without Host, the 417 for an unknown `Expect`. No
 * header beyond framing ones, and no body.
 */
export function isNodeReply(response: ParsedResponse): boolean {
  return response.body.length === 0 && response.headers.every(([name]) => nodeHeaders.has(name));
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

type Parsed =
  | { readonly kind: 'ok'; readonly responses: ParsedResponse[]; readonly pending: boolean }
  | { readonly kind: 'garbled'; readonly responses: ParsedResponse[] }
  | { readonly kind: 'truncated'; readonly responses: ParsedResponse[] };

/** Reads a chunked body at `start`; the end offset and the body, or undefined while incomplete. */
function readChunked(buf: Buffer, start: number): { end: number; body: Buffer } | 'bad' | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const sizeText = buf.subarray(at, eol).toString('latin1').split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) return 'bad';
    const size = Number.parseInt(sizeText, 16);
    at = eol + 2;
    if (size === 0) {
      // Trailers, then an empty line.
      for (;;) {
        const end = buf.indexOf('\r\n', at);
        if (end < 0) return undefined;
        if (end === at) return { end: end + 2, body: Buffer.concat(parts) };
        at = end + 2;
      }
    }
    if (buf.length < at + size + 2) return undefined;
    parts.push(buf.subarray(at, at + size));
    at += size + 2;
  }
}

/**
 * Parses the responses in `buf`. `firstIsHead`: the first final response
 * answers a HEAD. `eof`: the connection is closed (a close-delimited body
 * is then complete, any other unfinished response is truncated).
 */
export function parseResponses(buf: Buffer, firstIsHead: boolean, eof: boolean): Parsed {
  const responses: ParsedResponse[] = [];
  let at = 0;
  while (at < buf.length) {
    const headEnd = buf.indexOf(CRLFCRLF, at);
    if (headEnd < 0) {
      if (!/^H(T(T(P(\/.*)?)?)?)?$/s.test(buf.subarray(at, at + 16).toString('latin1'))) {
        return { kind: 'garbled', responses };
      }
      return eof ? { kind: 'truncated', responses } : { kind: 'ok', responses, pending: true };
    }
    const lines = buf.subarray(at, headEnd).toString('latin1').split('\r\n');
    const statusLine = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (statusLine === null) return { kind: 'garbled', responses };
    const status = Number(statusLine[2]);
    const headers: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return { kind: 'garbled', responses };
      headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
    const start = at;
    const bodyStart = headEnd + 4;
    const make = (body: Buffer): ParsedResponse => ({
      version: statusLine[1] as string,
      status,
      reason: statusLine[3] ?? '',
      headers,
      body,
      offset: start,
    });
    if (status < 200) {
      // 1xx: informational, no body; the final response follows.
      at = bodyStart;
      continue;
    }
    // A HEAD response has no body, unless the server could not parse the request as HEAD at all
    // (its 400 then has one): bytes that do not start a next response are that body.
    const headNoBody =
      firstIsHead &&
      responses.length === 0 &&
      (buf.length === bodyStart || buf.subarray(bodyStart, bodyStart + 5).toString('latin1') === 'HTTP/');
    const noBody = headNoBody || status === 204 || status === 304;
    const te = headers.find(([n]) => n === 'transfer-encoding')?.[1].toLowerCase() ?? '';
    const cl = headers.find(([n]) => n === 'content-length')?.[1];
    if (noBody) {
      responses.push(make(Buffer.alloc(0)));
      at = bodyStart;
    } else if (te.includes('chunked')) {
      const read = readChunked(buf, bodyStart);
      if (read === 'bad') return { kind: 'garbled', responses };
      if (read === undefined) {
        return eof ? { kind: 'truncated', responses } : { kind: 'ok', responses, pending: true };
      }
      responses.push(make(read.body));
      at = read.end;
    } else if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) return { kind: 'garbled', responses };
      const length = Number(cl);
      if (buf.length < bodyStart + length) {
        return eof ? { kind: 'truncated', responses } : { kind: 'ok', responses, pending: true };
      }
      responses.push(make(buf.subarray(bodyStart, bodyStart + length)));
      at = bodyStart + length;
    } else {
      // Close-delimited.
      if (!eof) return { kind: 'ok', responses, pending: true };
      responses.push(make(buf.subarray(bodyStart)));
      at = buf.length;
    }
  }
  return { kind: 'ok', responses, pending: false };
}

/** Sends the bytes of one exchange and reads what comes back. Never rejects. */
export function exchange(options: RawExchange): Promise<RawResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let finished = false;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const socket = createConnection({
      host: '127.0.0.1',
      port: options.port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    socket.setNoDelay(true);

    const finish = (why: 'eof' | 'timeout' | 'grace') => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      socket.destroy();
      const received = Buffer.concat(chunks);
      const parsed = parseResponses(received, options.head, why === 'eof');
      const ms = Date.now() - started;
      const base = { responses: parsed.responses, received, ms, ...(error === undefined ? {} : { error }) };
      let outcome: Outcome;
      if (parsed.kind === 'garbled') outcome = 'garbled';
      else if (parsed.kind === 'truncated') outcome = 'truncated';
      else if (parsed.responses.length > 0) outcome = 'response';
      else if (why === 'timeout') outcome = 'timeout';
      // Only 1xx before the close counts as no response at all.
      else if (received.length > 0 && parsed.pending) outcome = 'truncated';
      else if (error === 'ECONNREFUSED') outcome = 'refused';
      else if (error !== undefined) outcome = 'reset';
      else outcome = 'closed';
      resolve({ outcome, ...base });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs);

    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      if (options.halfClose || graceTimer !== undefined) return;
      const parsed = parseResponses(Buffer.concat(chunks), options.head, false);
      if (parsed.kind === 'ok' && parsed.responses.length > 0 && !parsed.pending) {
        graceTimer = setTimeout(() => finish('grace'), options.graceMs ?? 0);
      }
    });
    socket.on('error', (cause: NodeJS.ErrnoException) => {
      error ??= cause.code ?? cause.message;
    });
    socket.on('close', () => finish('eof'));
    socket.once('connect', async () => {
      for (let i = 0; i < options.writes.length; i++) {
        if (socket.destroyed) return;
        if (i > 0) await new Promise((r) => setTimeout(r, 2));
        socket.write(options.writes[i] as Buffer);
      }
      if (options.halfClose && !socket.destroyed) socket.end();
    });
  });
}

/** Printable, unambiguous rendering of bytes, truncated to about `max` characters. */
export function escapeBytes(bytes: Buffer, max = 300): string {
  let out = '';
  const render = (b: number) => {
    if (b === 0x0d) return '\\r';
    if (b === 0x0a) return '\\n';
    if (b === 0x09) return '\\t';
    if (b === 0x5c) return '\\\\';
    if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
    return `\\x${b.toString(16).padStart(2, '0')}`;
  };
  const all = () => {
    let text = '';
    for (const b of bytes) text += render(b);
    return text;
  };
  if (bytes.length <= max) {
    out = all();
    if (out.length <= max) return out;
  }
  // Head and tail, with the size of what was left out.
  const headBytes = bytes.subarray(0, Math.floor(max * 0.7));
  const tailBytes = bytes.subarray(Math.max(headBytes.length, bytes.length - Math.floor(max * 0.2)));
  let head = '';
  for (const b of headBytes) {
    if (head.length >= max * 0.7) break;
    head += render(b);
  }
  let tail = '';
  for (const b of tailBytes) tail += render(b);
  tail = tail.slice(-Math.floor(max * 0.2));
  return `${head}…[${bytes.length} bytes in all]…${tail}`;
}

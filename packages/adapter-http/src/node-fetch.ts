import * as dns from 'node:dns';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { FetchedDocument, FetchLimits, FetchPort } from '@kraikub/core';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  /** The address, as `isIP` reads it (`203.0.113.7`, `2001:db8::1`). */
  readonly address: string;
  /** The address family. */
  readonly family: 4 | 6;
}

/**
 * Options of {@link createNodeFetch}. The defaults are what production
 * wants: the system resolver, public addresses only, the bundled Mozilla
 * roots. The rest exist for tests and for hosts on special networks; each
 * one loosens a check the URL's author cannot otherwise get past.
 */
export interface NodeFetchOptions {
  /**
   * Resolves a host name instead of `node:dns`'s `lookup` (every address,
   * in the resolver's order). A test points a name at a local server with it.
   */
  readonly lookup?: (hostname: string) => Promise<readonly ResolvedAddress[]>;
  /**
   * Decides whether an address may be connected to; the default is
   * {@link isPublicAddress}. Every address a name resolves to must pass, not
   * just the one connected to. A test allows `127.0.0.1` with it; a host
   * must never allow addresses of its own network here.
   */
  readonly isAllowedAddress?: (address: string, family: 4 | 6) => boolean;
  /**
   * A CA certificate (PEM) trusted on top of Node's bundled roots, for a
   * test server with a self-signed certificate or a private PKI.
   */
  readonly ca?: string | Buffer;
  /** The `User-Agent` header; `kraikub-oauth` by default. */
  readonly userAgent?: string;
}

/** `[network, prefix length]`: a block of addresses. */
type Block = readonly [string, number];

/**
 * IPv4 blocks that are not the public internet (RFC 6890 and the IANA IPv4
 * special-purpose registry), refused whatever their "globally reachable"
 * column says when in doubt.
 */
const ipv4Blocks: readonly Block[] = [
  ['0.0.0.0', 8], // "this network" (RFC 791); 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, where cloud metadata services listen (RFC 3927)
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890)
  ['192.0.2.0', 24], // documentation, TEST-NET-1 (RFC 5737)
  ['192.88.99.0', 24], // 6to4 relay anycast, deprecated (RFC 7526)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24], // documentation, TEST-NET-2 (RFC 5737)
  ['203.0.113.0', 24], // documentation, TEST-NET-3 (RFC 5737)
  ['224.0.0.0', 4], // multicast (RFC 5771)
  ['240.0.0.0', 4], // reserved (RFC 1112), the limited broadcast 255.255.255.255 included
];

/**
 * Blocks inside global unicast (2000::/3) that are not the public internet
 * (the IANA IPv6 special-purpose registry). Everything outside 2000::/3 is
 * refused anyway (::, ::1, ::/96, 64:ff9b::/96, 100::/64, fc00::/7,
 * fe80::/10, ff00::/8, ...), except IPv4-mapped addresses, which are judged
 * as the IPv4 address they carry.
 */
const ipv6Blocks: readonly Block[] = [
  ['2001::', 23], // IETF protocol assignments: Teredo, benchmarking, ORCHID (RFC 2928)
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['2002::', 16], // 6to4, which carries an IPv4 address of any kind (RFC 3056)
  ['3fff::', 20], // documentation (RFC 9637)
];

function ipv4Value(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

/** The 128-bit value of an address `isIP` accepts as IPv6 (no zone). */
function ipv6Value(address: string): bigint {
  let text = address.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // A trailing dotted quad (`::ffff:127.0.0.1`) is the last two groups.
    const v4 = ipv4Value(last);
    text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 0x10000).toString(16)}:${(v4 % 0x10000).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

const ipv4Ranges = ipv4Blocks.map(([network, bits]) => ({ network: ipv4Value(network), bits }));
const ipv6Ranges = ipv6Blocks.map(([network, bits]) => ({ network: ipv6Value(network), bits }));

function isPublicIPv4(value: number): boolean {
  return !ipv4Ranges.some(
    ({ network, bits }) => Math.floor(value / 2 ** (32 - bits)) === network / 2 ** (32 - bits),
  );
}

function isPublicIPv6(value: bigint): boolean {
  // IPv4-mapped (::ffff:0:0/96): the connection goes to the IPv4 address.
  if (value >> 32n === 0xffffn) return isPublicIPv4(Number(value & 0xffffffffn));
  // Only global unicast (2000::/3) reaches the public internet.
  if (value >> 125n !== 1n) return false;
  return !ipv6Ranges.some(({ network, bits }) => {
    const shift = BigInt(128 - bits);
    return value >> shift === network >> shift;
  });
}

/**
 * Whether an IP address is on the public internet: `false` for private,
 * loopback, link-local, shared (CGNAT), documentation, benchmarking,
 * multicast, reserved and unspecified addresses, IPv4 and IPv6 alike
 * (IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry;
 * NAT64, 6to4 and Teredo addresses, which carry an IPv4 address of any kind,
 * are refused). Anything that is not an IP address (a host name, an address
 * with a zone, `010.0.0.1`) is `false` too.
 *
 * @example
 * ```ts
 * import { isPublicAddress } from '@kraikub/adapter-http/node';
 * isPublicAddress('93.184.215.14'); // true
 * isPublicAddress('169.254.169.254'); // false: link-local, the cloud metadata service
 * isPublicAddress('::ffff:10.0.0.1'); // false: IPv4-mapped, judged as 10.0.0.1
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6890
 * @see https://www.iana.org/assignments/iana-ipv4-special-registry/
 * @see https://www.iana.org/assignments/iana-ipv6-special-registry/
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isPublicIPv4(ipv4Value(address));
  // A zone (`fe80::1%eth0`) only exists for addresses of the local links.
  if (family === 6 && !address.includes('%')) return isPublicIPv6(ipv6Value(address));
  return false;
}

/** Why a fetch was refused or failed: ASCII, never a byte of the answer. */
class FetchFailure extends Error {
  override readonly name = 'FetchFailure';
}

const refused = (reason: string) => new FetchFailure(`fetch refused: ${reason}`);
const failed = (reason: string, cause?: unknown) =>
  new FetchFailure(`fetch failed: ${reason}`, cause === undefined ? undefined : { cause });

/** An error's `code` when it is a plain identifier (`ECONNREFUSED`, `CERT_HAS_EXPIRED`). */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'unknown';
}

/** Node's certificate and TLS failures, which say the server is not who the URL names. */
function isTlsFailure(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_|ALTNAME|TLS|SSL|ISSUER|SIGNATURE/.test(code);
}

interface Target {
  /** The host name, or the IP address without brackets. */
  readonly host: string;
  readonly port: number;
  /** Path and query; the fragment never leaves this process. */
  readonly path: string;
}

function targetOf(href: string): Target {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    throw refused('the URL is not valid');
  }
  if (url.protocol !== 'https:') throw refused('only https URLs are fetched');
  if (url.username !== '' || url.password !== '') throw refused('the URL carries credentials');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: url.port === '' ? 443 : Number(url.port), path: `${url.pathname}${url.search}` };
}

function checkLimits(limits: FetchLimits): void {
  if (!Number.isSafeInteger(limits.maxBytes) || limits.maxBytes < 0) {
    throw new TypeError('limits.maxBytes must be a non-negative integer');
  }
  if (!Number.isFinite(limits.timeoutMs) || limits.timeoutMs <= 0) {
    throw new TypeError('limits.timeoutMs must be a positive number');
  }
}

async function systemLookup(hostname: string): Promise<readonly ResolvedAddress[]> {
  const found = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address }) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
}

/** The one address the connection may go to: every address the host has must be allowed. */
async function pinnedAddress(target: Target, settings: Settings): Promise<ResolvedAddress> {
  const literal = isIP(target.host);
  let addresses: readonly ResolvedAddress[];
  if (literal !== 0) addresses = [{ address: target.host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addresses = await settings.lookup(target.host);
    } catch (error) {
      throw failed(`${target.host} could not be resolved (${codeOf(error)})`, error);
    }
  }
  const first = addresses[0];
  if (first === undefined) throw failed(`${target.host} resolves to no address`);
  for (const { address } of addresses) {
    // The family is read from the address itself, not taken from the resolver's word.
    const family = isIP(address);
    if (family === 0 || !settings.isAllowedAddress(address, family === 6 ? 6 : 4)) {
      throw refused(
        `${target.host} resolves to ${family === 0 ? 'a non-IP answer' : address}, not a public address`,
      );
    }
  }
  return { address: first.address, family: isIP(first.address) === 6 ? 6 : 4 };
}

/** A `lookup` for `https.request` that answers the checked address, whatever the name. */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}

/** Reads at most `maxBytes` of the body, then decodes it as strict UTF-8. */
function readBody(response: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () => failed(`the answer is larger than ${maxBytes} bytes`);
    response.on('data', (chunk: Buffer) => {
      if (size > maxBytes) return;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        reject(tooLarge());
        response.destroy();
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => {
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size)));
      } catch {
        reject(failed('the body is not valid UTF-8'));
      }
    });
    const broken = () => reject(failed('the connection closed before the body ended'));
    response.on('error', broken);
    response.on('close', () => {
      if (!response.complete) broken();
    });
    const declared = response.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      reject(tooLarge());
      response.destroy();
      return;
    }
    const encoding = response.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      reject(failed('the answer has a Content-Encoding, none was accepted'));
      response.destroy();
    }
  });
}

interface Settings {
  readonly lookup: (hostname: string) => Promise<readonly ResolvedAddress[]>;
  readonly isAllowedAddress: (address: string, family: 4 | 6) => boolean;
  readonly ca: readonly (string | Buffer)[] | undefined;
  readonly userAgent: string;
}

function fetchDocument(href: string, limits: FetchLimits, settings: Settings): Promise<FetchedDocument> {
  checkLimits(limits);
  const target = targetOf(href);
  return new Promise((resolve, reject) => {
    let abort: (() => void) | undefined;
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(timer);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settle();
      abort?.();
      reject(error instanceof FetchFailure ? error : failed('unexpected error', error));
    };
    // One deadline for everything: resolving, connecting, TLS, headers and body.
    const timer = setTimeout(
      () => fail(failed(`no complete answer within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    const connect = (pinned: ResolvedAddress) => {
      if (settled) return;
      const req = request(
        {
          host: target.host,
          port: target.port,
          path: target.path,
          method: 'GET',
          headers: {
            accept: 'application/json',
            'accept-encoding': 'identity',
            'user-agent': settings.userAgent,
          },
          // A connection of its own: never a pooled socket, never one kept for later.
          agent: false,
          lookup: pinnedLookup(pinned),
          // SNI and the certificate check use the name from the URL, not the address.
          ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
          ...(settings.ca === undefined ? {} : { ca: [...settings.ca] }),
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        },
        (response) => {
          readBody(response, limits.maxBytes).then((body) => {
            if (settled) return;
            settle();
            const { 'content-type': contentType, 'cache-control': cacheControl } = response.headers;
            resolve({
              status: response.statusCode ?? 0,
              ...(contentType === undefined ? {} : { contentType }),
              ...(cacheControl === undefined ? {} : { cacheControl }),
              body,
            });
          }, fail);
        },
      );
      abort = () => req.destroy();
      req.on('error', (error) => {
        const code = codeOf(error);
        fail(
          isTlsFailure(code)
            ? failed(`the server's certificate is not trusted for ${target.host} (${code})`, error)
            : failed(`the connection to ${target.host} failed (${code})`, error),
        );
      });
      req.end();
    };
    // `connect` may throw too (a `userAgent` Node refuses as a header): that fails the fetch.
    pinnedAddress(target, settings).then(connect).catch(fail);
  });
}

/**
 * Core's {@link FetchPort} on `node:https`, for Client ID Metadata
 * Documents, whose URL the client picks (and so may point anywhere). It
 * refuses what is not an `https` URL or carries credentials; resolves the
 * host once and refuses it when any address it resolves to is not public
 * ({@link isPublicAddress}), literal IPs included; then connects to the
 * checked address only, with the URL's host name for SNI and the
 * certificate check, so a second DNS answer cannot rebind it. One GET with
 * `Accept: application/json`, no cookies, no connection reuse, no redirect
 * followed (a 3xx is returned with its status). The whole fetch (DNS,
 * connect, TLS, headers, body) has one deadline, `limits.timeoutMs`; a body
 * past `limits.maxBytes` (announced or streamed) aborts it; the body must be
 * valid UTF-8. It rejects with an `Error` whose message names the reason
 * (never a byte of the body).
 *
 * @example
 * ```ts
 * import type { FetchPort } from '@kraikub/core';
 * import { createNodeFetch } from '@kraikub/adapter-http/node';
 * const fetcher: FetchPort = createNodeFetch();
 * const document = await fetcher.fetch('https://app.example.com/oauth/client.json', {
 *   maxBytes: 5 * 1024,
 *   timeoutMs: 5_000,
 * });
 * if (document.status === 200) JSON.parse(document.body);
 * ```
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/
 * @see https://www.rfc-editor.org/rfc/rfc6890
 */
export function createNodeFetch(options: NodeFetchOptions = {}): FetchPort {
  const settings: Settings = {
    lookup: options.lookup ?? systemLookup,
    isAllowedAddress: options.isAllowedAddress ?? ((address) => isPublicAddress(address)),
    // Node's `ca` replaces the bundled roots: keep them, and add the host's.
    ca: options.ca === undefined ? undefined : [...rootCertificates, options.ca],
    userAgent: options.userAgent ?? 'kraikub-oauth',
  };
  return {
    fetch: async (url, limits) => fetchDocument(url, limits, settings),
  };
}

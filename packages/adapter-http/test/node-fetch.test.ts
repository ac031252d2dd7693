import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { FetchLimits } from '@kraikub/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createNodeFetch, isPublicAddress, type ResolvedAddress } from '../src/node.ts';

// Every request in this file goes to 127.0.0.1 (the test servers) or is refused before any
// connection is opened: nothing leaves the machine.

const host = 'mcp.example.test';
let dir: string;
let cert: string;
let key: string;

/** A self-signed certificate for `mcp.example.test` and 127.0.0.1, made by openssl for this run. */
function makeCertificate(): void {
  dir = mkdtempSync(join(tmpdir(), 'kraikub-node-fetch-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=DNS:${host},IP:127.0.0.1`,
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
}

interface Seen {
  readonly url: string;
  readonly method: string;
  readonly headers: IncomingMessage['headers'];
  readonly servername: TLSSocket['servername'];
}

interface TestServer {
  readonly server: Server;
  readonly port: number;
  readonly seen: Seen[];
}

type Route = (res: ServerResponse) => void;

/** Writes `size` bytes of `a`, `chunk` bytes at a time, without a Content-Length (chunked). */
function stream(res: ServerResponse, chunk: number, everyMs: number, size = Number.POSITIVE_INFINITY) {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= size) {
      clearInterval(timer);
      res.end();
      return;
    }
    res.write('a'.repeat(chunk));
    sent += chunk;
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

let elsewhere: TestServer;

const clientDocument = JSON.stringify({
  client_id: `https://${host}/client.json`,
  client_name: 'Ünïcode app ☃',
});
const clientBytes = Buffer.byteLength(clientDocument);

const routes: Record<string, Route> = {
  '/client.json': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
    res.end(clientDocument);
  },
  '/moved': (res) => {
    res.writeHead(302, { location: `https://${host}:${elsewhere.port}/client.json` });
    res.end('moved');
  },
  '/big-declared': (res) => {
    // Announces a megabyte and sends a little: the fetch must not wait for the rest.
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1_000_000 });
    res.write('{"a":"');
  },
  '/big-chunked': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    stream(res, 1024, 2);
  },
  '/hang': () => {
    // Never answers.
  },
  '/trickle': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
    stream(res, 1, 50);
  },
  '/bad-utf8': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
  },
  '/gzip': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
  },
};

function listen(): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createServer({ key, cert }, (req, res) => {
    seen.push({
      url: req.url ?? '',
      method: req.method ?? '',
      headers: req.headers,
      servername: (req.socket as TLSSocket).servername,
    });
    const route = routes[new URL(req.url ?? '/', 'https://x').pathname];
    if (route === undefined) {
      res.writeHead(404);
      res.end();
    } else route(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port, seen }),
    );
  });
}

function close({ server }: TestServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

let origin: TestServer;

beforeAll(async () => {
  makeCertificate();
  origin = await listen();
  elsewhere = await listen();
});

afterAll(async () => {
  await close(origin);
  await close(elsewhere);
  rmSync(dir, { recursive: true, force: true });
});

const limits: FetchLimits = { maxBytes: 4096, timeoutMs: 5_000 };
const url = (path: string, name = host) => `https://${name}:${origin.port}${path}`;
const loopbackOnly = (address: string) => address === '127.0.0.1';

/** A resolver that answers `addresses` for any name, and counts its calls. */
function resolver(...addresses: ResolvedAddress[]) {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    return addresses;
  };
  return { lookup, calls };
}

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

/** The fetch the positive cases use: `host` is 127.0.0.1, which is allowed, with the test CA. */
function localFetch() {
  const dns = resolver(v4('127.0.0.1'));
  return { dns, fetcher: createNodeFetch({ lookup: dns.lookup, isAllowedAddress: loopbackOnly, ca: cert }) };
}

/** The message a fetch rejected with (and that it did reject). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => {
      throw new Error('the fetch did not reject');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toMatch(/^[\x20-\x7e]+$/);
  return message;
}

describe('createNodeFetch: a Client ID Metadata Document from a pinned, checked address', () => {
  test('a JSON document comes back with its status, content type and cache control', async () => {
    const { dns, fetcher } = localFetch();
    const before = origin.seen.length;
    const document = await fetcher.fetch(`${url('/client.json')}?v=1#fragment`, limits);
    expect(document).toEqual({
      status: 200,
      contentType: 'application/json',
      cacheControl: 'max-age=300',
      body: expect.any(String),
    });
    expect(JSON.parse(document.body)).toEqual({
      client_id: `https://${host}/client.json`,
      client_name: 'Ünïcode app ☃',
    });
    expect(dns.calls).toEqual([host]);
    const seen = origin.seen.slice(before);
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe('/client.json?v=1'); // the fragment never leaves
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers.cookie).toBeUndefined();
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers.host).toBe(`${host}:${origin.port}`);
    expect(request?.headers['user-agent']).toBe('kraikub-oauth');
  });

  test('the connection goes to the pinned address, with the URL host name for SNI and the certificate', async () => {
    // mcp.example.test exists nowhere (.test is reserved): only the pinned 127.0.0.1 can answer.
    // The first answer is checked and used; a rebinding second answer (10.0.0.1) is never asked for.
    let answers = 0;
    const fetcher = createNodeFetch({
      lookup: async () => [v4(answers++ === 0 ? '127.0.0.1' : '10.0.0.1')],
      isAllowedAddress: loopbackOnly,
      ca: cert,
      userAgent: 'kraikub-test',
    });
    const before = origin.seen.length;
    expect((await fetcher.fetch(url('/client.json'), limits)).status).toBe(200);
    expect(answers).toBe(1);
    expect(origin.seen[before]?.servername).toBe(host);
    expect(origin.seen[before]?.headers['user-agent']).toBe('kraikub-test');
  });

  test('the certificate is checked against the host name, not the address (it names 127.0.0.1 too)', async () => {
    const { fetcher } = localFetch();
    const message = await rejection(fetcher.fetch(url('/client.json', 'other.example.test'), limits));
    expect(message).toMatch(/certificate is not trusted for other\.example\.test/);
  });

  test('a literal IP host is checked the same way and connected to as is, with no DNS', async () => {
    const { dns, fetcher } = localFetch();
    const document = await fetcher.fetch(`https://127.0.0.1:${origin.port}/client.json`, limits);
    expect(document.status).toBe(200);
    expect(dns.calls).toEqual([]);
  });

  test('a certificate not trusted (no `ca`) rejects', async () => {
    const dns = resolver(v4('127.0.0.1'));
    const fetcher = createNodeFetch({ lookup: dns.lookup, isAllowedAddress: loopbackOnly });
    const message = await rejection(fetcher.fetch(url('/client.json'), limits));
    expect(message).toMatch(/^fetch failed: the server's certificate is not trusted for mcp\.example\.test/);
  });

  test('a 302 is returned with its status, and its Location is never requested', async () => {
    const { fetcher } = localFetch();
    const document = await fetcher.fetch(url('/moved'), limits);
    expect(document.status).toBe(302);
    expect(document.body).toBe('moved');
    expect(elsewhere.seen).toEqual([]);
  });
});

describe('createNodeFetch refuses addresses that are not public (SSRF)', () => {
  test.each([
    v4('127.0.0.1'),
    v6('::1'),
    v4('10.0.0.1'),
    v4('169.254.169.254'),
    v4('192.168.1.1'),
    v4('172.16.5.4'),
    v4('100.64.0.1'),
    v4('0.0.0.0'),
    v6('::ffff:127.0.0.1'),
    v6('::ffff:a9fe:a9fe'),
    v6('fe80::1'),
    v6('fd00::1'),
    v6('::'),
    v6('64:ff9b::a00:1'),
  ])('a host name resolving to $address is refused by default', async (address) => {
    const fetcher = createNodeFetch({ lookup: async () => [address] });
    const message = await rejection(fetcher.fetch(url('/client.json'), limits));
    expect(message).toBe(`fetch refused: ${host} resolves to ${address.address}, not a public address`);
  });

  test.each([
    'https://127.0.0.1/',
    'https://127.1.2.3:8443/',
    'https://[::1]/',
    'https://10.1.2.3/',
    'https://169.254.169.254/latest/meta-data/',
    'https://192.168.0.1/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:169.254.169.254]/',
    'https://[fe80::1]/',
    'https://[::]/',
    'https://0/',
    'https://0x7f.1/',
    'https://2130706433/',
  ])('a literal IP host is refused by default: %s', async (target) => {
    const dns = resolver(v4('8.8.8.8'));
    const fetcher = createNodeFetch({ lookup: dns.lookup });
    expect(await rejection(fetcher.fetch(target, limits))).toMatch(
      /^fetch refused: .* not a public address$/,
    );
    expect(dns.calls).toEqual([]);
  });

  test.each([
    [v4('93.184.215.14'), v4('10.0.0.1')],
    [v4('10.0.0.1'), v4('93.184.215.14')],
    [v6('2606:4700:4700::1111'), v6('::1')],
    [v4('93.184.215.14'), v6('fe80::1')],
  ])('a host name resolving to a public and a private address is refused (%o, %o)', async (a, b) => {
    const fetcher = createNodeFetch({ lookup: async () => [a, b] });
    expect(await rejection(fetcher.fetch(url('/client.json'), limits))).toMatch(
      /^fetch refused: mcp\.example\.test resolves to .*, not a public address$/,
    );
  });

  test('a host name that resolves to nothing, or to something that is not an IP, is refused', async () => {
    const empty = createNodeFetch({ lookup: async () => [] });
    expect(await rejection(empty.fetch(url('/client.json'), limits))).toMatch(/resolves to no address/);
    const garbage = createNodeFetch({ lookup: async () => [v4('localhost')], isAllowedAddress: () => true });
    expect(await rejection(garbage.fetch(url('/client.json'), limits))).toMatch(/a non-IP answer/);
  });

  test.each([
    ['http://mcp.example.test/client.json', /only https URLs/],
    ['ftp://mcp.example.test/client.json', /only https URLs/],
    ['file:///etc/passwd', /only https URLs/],
    ['data:application/json,{}', /only https URLs/],
    ['/client.json', /the URL is not valid/],
    ['https://user:secret@mcp.example.test/client.json', /the URL carries credentials/],
    ['https://user@mcp.example.test/client.json', /the URL carries credentials/],
  ])('%s is refused before any lookup', async (target, reason) => {
    const dns = resolver(v4('127.0.0.1'));
    const fetcher = createNodeFetch({ lookup: dns.lookup, isAllowedAddress: loopbackOnly, ca: cert });
    const message = await rejection(fetcher.fetch(target, limits));
    expect(message).toMatch(/^fetch refused: /);
    expect(message).toMatch(reason);
    expect(message).not.toContain('secret');
    expect(dns.calls).toEqual([]);
  });
});

describe('createNodeFetch holds to its limits', () => {
  test('a Content-Length past maxBytes rejects at once, without waiting for the body', async () => {
    const { fetcher } = localFetch();
    const started = Date.now();
    const message = await rejection(fetcher.fetch(url('/big-declared'), limits));
    expect(message).toBe('fetch failed: the answer is larger than 4096 bytes');
    expect(Date.now() - started).toBeLessThan(limits.timeoutMs);
  });

  test('a chunked body that grows past maxBytes rejects as soon as it does', async () => {
    const { fetcher } = localFetch();
    const message = await rejection(fetcher.fetch(url('/big-chunked'), limits));
    expect(message).toBe('fetch failed: the answer is larger than 4096 bytes');
  });

  test('a body of exactly maxBytes is accepted', async () => {
    const { fetcher } = localFetch();
    const document = await fetcher.fetch(url('/client.json'), { ...limits, maxBytes: clientBytes });
    expect(document.body).toBe(clientDocument);
    await expect(
      fetcher.fetch(url('/client.json'), { ...limits, maxBytes: clientBytes - 1 }),
    ).rejects.toThrow(`larger than ${clientBytes - 1} bytes`);
  });

  test.each([
    ['headers never sent', '/hang'],
    ['a body trickling in', '/trickle'],
  ])('a slow server (%s) rejects within timeoutMs', async (_name, path) => {
    const { fetcher } = localFetch();
    const started = Date.now();
    const message = await rejection(fetcher.fetch(url(path), { ...limits, timeoutMs: 300 }));
    const elapsed = Date.now() - started;
    expect(message).toBe('fetch failed: no complete answer within 300 ms');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_500);
  });

  test('the deadline covers DNS too', async () => {
    const fetcher = createNodeFetch({ lookup: () => new Promise<never>(() => {}) });
    expect(await rejection(fetcher.fetch(url('/client.json'), { ...limits, timeoutMs: 100 }))).toBe(
      'fetch failed: no complete answer within 100 ms',
    );
  });

  test('a body that is not valid UTF-8 rejects, and the message carries none of it', async () => {
    const { fetcher } = localFetch();
    expect(await rejection(fetcher.fetch(url('/bad-utf8'), limits))).toBe(
      'fetch failed: the body is not valid UTF-8',
    );
  });

  test('a compressed answer (never asked for) rejects', async () => {
    const { fetcher } = localFetch();
    expect(await rejection(fetcher.fetch(url('/gzip'), limits))).toMatch(/Content-Encoding/);
  });

  test('limits that are not numbers a fetch can hold to are a TypeError', async () => {
    const { fetcher } = localFetch();
    await expect(fetcher.fetch(url('/client.json'), { maxBytes: -1, timeoutMs: 1000 })).rejects.toThrow(
      TypeError,
    );
    await expect(fetcher.fetch(url('/client.json'), { maxBytes: 10, timeoutMs: Number.NaN })).rejects.toThrow(
      TypeError,
    );
  });
});

describe('isPublicAddress', () => {
  /** The IPv4 blocks of RFC 6890 and the IANA registry that are refused. */
  const privateIPv4: readonly (readonly [number, number, number, number, number])[] = [
    [0, 0, 0, 0, 8],
    [10, 0, 0, 0, 8],
    [100, 64, 0, 0, 10],
    [127, 0, 0, 0, 8],
    [169, 254, 0, 0, 16],
    [172, 16, 0, 0, 12],
    [192, 0, 0, 0, 24],
    [192, 0, 2, 0, 24],
    [192, 168, 0, 0, 16],
    [198, 18, 0, 0, 15],
    [198, 51, 100, 0, 24],
    [203, 0, 113, 0, 24],
    [224, 0, 0, 0, 4],
    [240, 0, 0, 0, 4],
  ];
  const dotted = (value: number) =>
    [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  const inBlock = fc
    .tuple(fc.constantFrom(...privateIPv4), fc.integer({ min: 0, max: 0xffffffff }))
    .map(([[a, b, c, d, bits], random]) => {
      const network = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
      const host = bits === 32 ? 0 : random % 2 ** (32 - bits);
      return dotted(network + host);
    });

  test('property: every IPv4 address in a private or special block is not public, mapped to IPv6 too', () => {
    fc.assert(
      fc.property(inBlock, (address) => {
        expect(isPublicAddress(address)).toBe(false);
        expect(isPublicAddress(`::ffff:${address}`)).toBe(false);
        const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
        const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(isPublicAddress(`::ffff:${hex}`)).toBe(false);
        expect(isPublicAddress(`0:0:0:0:0:FFFF:${hex}`)).toBe(false);
      }),
    );
  });

  test('property: an IPv4 address whose first octet has no special block is public', () => {
    const special = new Set([0, 10, 100, 127, 169, 172, 192, 198, 203]);
    const first = fc.integer({ min: 1, max: 223 }).filter((octet) => !special.has(octet));
    fc.assert(
      fc.property(first, fc.integer({ min: 0, max: 0xffffff }), (octet, rest) => {
        expect(isPublicAddress(dotted(((octet << 24) | rest) >>> 0))).toBe(true);
      }),
    );
  });

  test('property: IPv6 unique-local, link-local, multicast and documentation addresses are not public', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((value) => value.toString(16));
    const prefixes = fc.constantFrom(
      [0xfc00, 0xfe00], // fc00::/7
      [0xfe80, 0xffc0], // fe80::/10
      [0xff00, 0xff00], // ff00::/8
    );
    fc.assert(
      fc.property(
        prefixes,
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(group, { minLength: 7, maxLength: 7 }),
        ([base, mask], first, rest) => {
          const head = ((base & mask) | (first & ~mask & 0xffff)).toString(16);
          expect(isPublicAddress([head, ...rest].join(':'))).toBe(false);
          expect(isPublicAddress(['2001', 'db8', ...rest.slice(1)].join(':'))).toBe(false);
        },
      ),
    );
  });

  test.each([
    ['8.8.8.8', true],
    ['1.1.1.1', true],
    ['93.184.215.14', true],
    ['172.32.0.1', true],
    ['100.128.0.1', true],
    ['::ffff:8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['2001:4860:4860::8888', true],
    ['255.255.255.255', false],
    ['192.88.99.1', false],
    ['::1', false],
    ['::', false],
    ['::127.0.0.1', false],
    ['64:ff9b::808:808', false],
    ['100::1', false],
    ['2001::1', false],
    ['2001:1ff::1', false],
    ['2002:808:808::1', false],
    ['3fff::1', false],
    ['fec0::1', false],
    ['fe80::1%eth0', false],
    ['localhost', false],
    ['010.0.0.1', false],
    ['', false],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

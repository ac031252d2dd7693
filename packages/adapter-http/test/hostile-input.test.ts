import { StorageUnavailableError } from '@kraikub/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { authorizeQuery, type Provider, provider, rawRequest, type Transport } from './support.ts';

/** A host route that echoes what it received, so a test sees what reached it. */
const echo = async (request: Request) =>
  new Response(`host ${request.method} ${new URL(request.url).pathname}`, { status: 200 });

describe('the node bridge: every request is isolated, nothing it carries ends the process', () => {
  let p: Provider;
  let port: number;
  beforeAll(async () => {
    p = await provider('node', { handler: { fallback: echo } });
    port = p.port as number;
  });
  afterAll(() => p.close());

  const request = (line: string, headers: string[] = ['Host: localhost']) =>
    rawRequest(port, `${line}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`);

  test('RFC 9110 §9.3.7: OPTIONS * is answered for the server as a whole', async () => {
    const answer = await request('OPTIONS * HTTP/1.1');
    expect(answer.status).toBe(204);
    expect(answer.headers.allow).toBe('GET, HEAD, POST, OPTIONS');
  });

  test.each([
    ['an asterisk target with GET', 400, 'GET * HTTP/1.1', ['Host: localhost']],
    ['an authority-form target', 400, 'GET localhost:80 HTTP/1.1', ['Host: localhost']],
    ['an absolute target with userinfo', 400, 'GET http://u:p@localhost/ HTTP/1.1', ['Host: localhost']],
    ['an absolute target with a bad host', 400, 'GET http://[::1/ HTTP/1.1', ['Host: localhost']],
    ['an unterminated IPv6 Host', 400, 'GET / HTTP/1.1', ['Host: [::1']],
    ['a Host with a space', 400, 'GET / HTTP/1.1', ['Host: a b']],
    ['a Host with an impossible port', 400, 'GET / HTTP/1.1', ['Host: localhost:99999']],
    ['a Host with userinfo', 400, 'GET / HTTP/1.1', ['Host: user@localhost']],
    ['an empty Host', 400, 'GET / HTTP/1.1', ['Host: ']],
    ['an HTTP/1.1 request without Host', 400, 'GET / HTTP/1.1', []],
    ['two Host headers', 400, 'GET / HTTP/1.1', ['Host: localhost', 'Host: evil.example']],
    ['TRACE', 405, 'TRACE / HTTP/1.1', ['Host: localhost']],
    ['TRACE on a provider endpoint', 405, 'TRACE /token HTTP/1.1', ['Host: localhost']],
    ['a bad Host on a provider endpoint', 400, 'POST /token HTTP/1.1', ['Host: [::1', 'Content-Length: 0']],
    ['a malformed request line', 400, 'GET /a b c HTTP/1.1', ['Host: localhost']],
    ['a bad chunk', 400, 'POST /token HTTP/1.1', ['Host: localhost', 'Transfer-Encoding: chunked', '', 'zz']],
  ])(
    'RFC 9112 §3.2: %s is a %i with no-store, and the server lives on',
    async (_name, status, line, headers) => {
      const answer = await request(line as string, headers as string[]);
      expect(answer.status).toBe(status);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request' });
      const after = await p.send('/.well-known/oauth-authorization-server');
      expect(after.status).toBe(200);
    },
  );

  test('RFC 9110 §10.1.1: an expectation other than 100-continue is a 417 with no-store', async () => {
    const answer = await request('GET /.well-known/oauth-authorization-server HTTP/1.1', [
      'Host: localhost',
      'Expect: 200-ok',
    ]);
    expect(answer.status).toBe(417);
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  test('RFC 9112 §9.6: a client that half-closes after its request still gets an asynchronous answer', async () => {
    // rawRequest half-closes at once; the host route answers only after a timer.
    const slow = await provider('node', {
      handler: {
        fallback: () => new Promise((resolve) => setTimeout(() => resolve(new Response('late')), 50)),
      },
    });
    try {
      const answer = await rawRequest(slow.port as number, 'GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('late');
    } finally {
      await slow.close();
    }
  });

  test.each([
    ['with Content-Length', (body: string) => `Content-Length: ${body.length}\r\n\r\n${body}`],
    [
      'chunked',
      (body: string) =>
        `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    ],
  ])('a 2 MB body sent %s to the token endpoint gets its 413, not a reset', async (_name, frame) => {
    const body = `grant_type=client_credentials&padding=${'x'.repeat(2 * 1024 * 1024)}`;
    const answer = await rawRequest(
      port,
      `POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n${frame(body)}`,
    );
    expect(answer.status).toBe(413);
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  test('an oversized body is read to its end (not cut off): the client gets its 413 and the connection lives on', async () => {
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    const oversized =
      'POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
      `Transfer-Encoding: chunked\r\n\r\n${chunk(`grant_type=client_credentials&p=${'x'.repeat(100_000)}`)}` +
      `${chunk('y'.repeat(1_000_000))}0\r\n\r\n`;
    // A client that keeps writing after the 413 (many do), then asks again on the same connection.
    const answer = await rawRequest(
      port,
      `${oversized}GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    );
    expect(answer.status).toBe(413);
    expect(answer.body).toMatch(/HTTP\/1\.1 200 OK/);
  });

  test('RFC 9112 §3.2.2: an absolute-form target is routed by its path', async () => {
    const answer = await request('GET http://localhost/.well-known/oauth-authorization-server HTTP/1.1');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ issuer: 'http://localhost:3999' });
  });

  test('RFC 9112 §3.2: HTTP/1.0 without Host is served', async () => {
    const answer = await request('GET /.well-known/oauth-authorization-server HTTP/1.0', []);
    expect(answer.status).toBe(200);
  });

  test("odd paths reach the host's routes as they are, never a 500", async () => {
    expect((await request('GET // HTTP/1.1')).body).toContain('host GET //');
    expect((await request('GET /a/../%2e%2e/%00 HTTP/1.1')).status).toBe(200);
    expect((await request('PROPFIND /x HTTP/1.1')).body).toContain('host PROPFIND /x');
  });
});

describe.each<Transport>(['fetch', 'node'])('failures in the host routes through %s', (transport) => {
  const down = () => {
    throw new StorageUnavailableError('redis: connection refused at 10.0.0.7');
  };

  test('a store outage behind a host page is a 503: HTML for browsers, JSON otherwise, no-store', async () => {
    const seen: unknown[] = [];
    const p = await provider(transport, { handler: { fallback: down, onError: (e) => seen.push(e.error) } });
    try {
      const page = await p.send('/login', { headers: { accept: 'text/html,*/*' } });
      expect(page.status).toBe(503);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(await page.text()).not.toContain('10.0.0.7');
      const api = await p.send('/api/me', { headers: { accept: 'application/json' } });
      expect(api.status).toBe(503);
      expect(api.headers.get('cache-control')).toBe('no-store');
      expect(await api.json()).toEqual({
        error: 'temporarily_unavailable',
        error_description: expect.any(String),
      });
      expect(seen).toHaveLength(2);
    } finally {
      await p.close();
    }
  });

  test('any other exception in a host page is a 500 with no-store and no detail', async () => {
    const p = await provider(transport, {
      handler: {
        fallback: () => {
          throw new Error('bug at /srv/app.ts:12');
        },
      },
    });
    try {
      const response = await p.send('/account');
      expect(response.status).toBe(500);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.text()).not.toContain('/srv/app.ts');
    } finally {
      await p.close();
    }
  });

  test('unknown paths are 404 with no-store; a wrong method on the metadata is 405 with no-store', async () => {
    const p = await provider(transport);
    try {
      const missing = await p.send('/nope');
      expect(missing.status).toBe(404);
      expect(missing.headers.get('cache-control')).toBe('no-store');
      const wrong = await p.send('/.well-known/oauth-authorization-server', { method: 'DELETE' });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('cache-control')).toBe('no-store');
    } finally {
      await p.close();
    }
  });

  test("the host's own error page replaces the library's, with the status and headers kept", async () => {
    const p = await provider(transport, {
      handler: {
        fallback: down,
        errorPage: ({ status, error }) => `<!doctype html><title>Brand</title><p>Oops ${status} ${error}</p>`,
      },
    });
    try {
      const unknown = await p.send(authorizeQuery({ client_id: 'nobody' }));
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toContain('<title>Brand</title><p>Oops 400 invalid_client</p>');
      expect(unknown.headers.get('cache-control')).toBe('no-store');
      expect(unknown.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const outage = await p.send('/login', { headers: { accept: 'text/html' } });
      expect(outage.status).toBe(503);
      expect(await outage.text()).toContain('Oops 503 temporarily_unavailable');
    } finally {
      await p.close();
    }
  });

  test('a branded page that throws still leaves the library page', async () => {
    const p = await provider(transport, {
      handler: {
        errorPage: () => {
          throw new Error('template missing');
        },
      },
    });
    try {
      const response = await p.send(authorizeQuery({ client_id: 'nobody' }));
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('The request could not be completed');
    } finally {
      await p.close();
    }
  });
});

describe.each<Transport>(['fetch', 'node'])('anonymous authorization requests through %s', (transport) => {
  /** The host's page for a pending request: nothing decided, so the interaction stays pending. */
  const pending = { interact: () => new Response('login', { headers: { 'content-type': 'text/html' } }) };

  test('past the per-source cap of pending interactions: 429 with Retry-After; other sources go on', async () => {
    const p = await provider(transport, {
      interactionLimits: { perSource: 2 },
      handler: {
        ...pending,
        sourceOf: (request) => request.header('x-test-source') ?? request.remoteAddress,
      },
    });
    try {
      for (let i = 0; i < 2; i++) expect((await p.send(authorizeQuery())).status).toBe(200);
      const refused = await p.send(authorizeQuery());
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(refused.headers.get('cache-control')).toBe('no-store');
      expect(await refused.text()).toContain('Too many sign-in requests are pending from your network');
      const other = await p.send(authorizeQuery(), { headers: { 'x-test-source': 'elsewhere' } });
      expect(other.status).toBe(200);
    } finally {
      await p.close();
    }
  });

  test('past the total cap: 503 with Retry-After; a completed interaction frees its place', async () => {
    const ids: string[] = [];
    const p = await provider(transport, {
      interactionLimits: { total: 2 },
      handler: {
        interact: ({ interactionId }) => {
          ids.push(interactionId);
          return new Response('login', { headers: { 'content-type': 'text/html' } });
        },
      },
    });
    try {
      for (let i = 0; i < 2; i++) expect((await p.send(authorizeQuery())).status).toBe(200);
      const refused = await p.send(authorizeQuery());
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('60');
      const done = await p.interactions.complete(ids[0] as string, { type: 'approve', subject: 'alice' });
      expect('location' in done).toBe(true);
      expect((await p.send(authorizeQuery())).status).toBe(200);
    } finally {
      await p.close();
    }
  });
});

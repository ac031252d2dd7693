import autocannon from 'autocannon';
import { cpuSeconds } from './process.ts';
import { type Endpoint, isExchange, type Work } from './protocol.ts';
import { client } from './target.ts';

/** The form body of one request, built before the window so the generator does the same work for all. */
export function bodyFor(work: Work, endpoint: Endpoint, credential: string): string {
  const value = encodeURIComponent(credential);
  return isExchange(work)
    ? `grant_type=authorization_code&code=${value}&redirect_uri=${encodeURIComponent(endpoint.redirectUri)}`
    : `grant_type=refresh_token&refresh_token=${value}`;
}

export function basicAuth(endpoint: Endpoint): string {
  return `Basic ${Buffer.from(`${endpoint.clientId}:${endpoint.clientSecret}`).toString('base64')}`;
}

/**
 * A successful token response: 200 and both tokens in the body, and for
 * `exchange-openid` an ID Token as well.
 */
export function isSuccess(work: Work, status: number, body: string): boolean {
  return (
    status === 200 &&
    body.includes('"access_token":"') &&
    body.includes('"refresh_token":"') &&
    (work !== 'exchange-openid' || body.includes('"id_token":"'))
  );
}

export interface PhaseResult {
  /** 200 responses carrying both tokens (and the ID Token for `exchange-openid`). */
  readonly ok: number;
  /** Every response, whatever its status. */
  readonly responses: number;
  /**
   * Requests sent, answered or not (those in flight when the window closed
   * too): what the target's store counters over the window are divided by.
   */
  readonly sent?: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Seconds actually measured (shorter than asked when the credentials ran out). */
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  /** The credentials ran out before the window ended: the phase was stopped early. */
  readonly exhausted: boolean;
  /** Server CPU use over the phase (1 = one core busy); undefined without /proc. */
  readonly serverCpu: number | undefined;
  /**
   * CPU use of the store's processes over the phase (`storePids`, summed over
   * those readable at both ends); undefined when there were none.
   */
  readonly storeCpu?: number | undefined;
  /** The first unsuccessful response, for the report. */
  readonly firstFailure?: { status: number; body: string };
}

/**
 * One load phase: keep-alive HTTP/1.1 with `connections` connections, one
 * request in flight on each, every request carrying the next unused
 * credential. Stops at `seconds`, or as soon as the credentials run out.
 */
export function runPhase(
  endpoint: Endpoint,
  work: Work,
  bodies: readonly string[],
  connections: number,
  seconds: number,
  serverPid: number,
  storePids: readonly number[] = [],
): Promise<PhaseResult> {
  let next = 0;
  let sent = 0;
  let ok = 0;
  let exhausted = false;
  let firstFailure: { status: number; body: string } | undefined;
  const spent = bodies[0] ?? '';
  let instance: autocannon.Instance | undefined;
  // Our own clock and latencies: autocannon's histogram has 1 ms resolution.
  const latencies: number[] = [];
  let exhaustedAt = 0;
  let cpuAtEnd: number | undefined;
  let storeAtEnd: (number | undefined)[] = [];
  const storeCpuNow = () => storePids.map(cpuSeconds);
  const storeAtStart = storeCpuNow();
  const cpuAtStart = cpuSeconds(serverPid);
  const startedAt = performance.now();

  return new Promise((resolve, reject) => {
    instance = autocannon(
      {
        url: `http://127.0.0.1:${endpoint.port}`,
        connections,
        pipelining: 1,
        duration: seconds,
        // How often autocannon looks at its stop flag: stop within 20 ms when the credentials run out.
        sampleInt: 20,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: endpoint.path,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: basicAuth(endpoint),
            },
            setupRequest(request, context) {
              sent++;
              const body = bodies[next++];
              (context as { sentAt?: number }).sentAt = performance.now();
              if (body === undefined) {
                if (!exhausted) {
                  exhausted = true;
                  exhaustedAt = performance.now();
                  cpuAtEnd = cpuSeconds(serverPid);
                  storeAtEnd = storeCpuNow();
                  setImmediate(() => instance?.stop());
                }
                // A spent credential: answered with an error, never counted.
                return { ...request, body: spent };
              }
              return { ...request, body };
            },
            onResponse(status, body, context) {
              if (exhausted) return;
              latencies.push(performance.now() - ((context as { sentAt?: number }).sentAt ?? 0));
              if (isSuccess(work, status, body)) ok++;
              else if (firstFailure === undefined) firstFailure = { status, body: body.slice(0, 300) };
            },
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        if (!exhausted) {
          cpuAtEnd = cpuSeconds(serverPid);
          storeAtEnd = storeCpuNow();
        }
        const elapsed = ((exhausted ? exhaustedAt : performance.now()) - startedAt) / 1000;
        const measured = exhausted ? elapsed : Math.min(elapsed, result.duration || elapsed);
        latencies.sort((a, b) => a - b);
        let storeSeconds: number | undefined;
        storeAtStart.forEach((start, i) => {
          const end = storeAtEnd[i];
          if (start !== undefined && end !== undefined) storeSeconds = (storeSeconds ?? 0) + end - start;
        });
        const at = (q: number) =>
          round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
        resolve({
          ok,
          responses: latencies.length,
          sent,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds: measured,
          serverCpu:
            cpuAtStart === undefined || cpuAtEnd === undefined
              ? undefined
              : (cpuAtEnd - cpuAtStart) / measured,
          ...(storeSeconds === undefined ? {} : { storeCpu: storeSeconds / measured }),
          p50: at(0.5),
          p99: at(0.99),
          exhausted,
          ...(firstFailure === undefined ? {} : { firstFailure }),
        });
      },
    );
  });
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** One request outside any window, checked in full: the target really does the work. */
export async function validate(
  endpoint: Endpoint,
  work: Work,
  credential: string,
  options: { readonly atHash?: boolean } = {},
): Promise<string | undefined> {
  const response = await fetch(`http://127.0.0.1:${endpoint.port}${endpoint.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(endpoint) },
    body: bodyFor(work, endpoint, credential),
  });
  const text = await response.text();
  if (response.status !== 200) return `status ${response.status}: ${text.slice(0, 300)}`;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `not JSON: ${text.slice(0, 300)}`;
  }
  if (typeof json.access_token !== 'string' || json.access_token.length < 16) return 'no access_token';
  if (typeof json.refresh_token !== 'string' || json.refresh_token.length < 16) return 'no refresh_token';
  if (String(json.token_type).toLowerCase() !== 'bearer') return `token_type ${String(json.token_type)}`;
  if (work === 'refresh' && json.refresh_token === credential) return 'the refresh token was not rotated';
  if (work === 'exchange-openid') {
    const problem = checkIdToken(json.id_token, endpoint, options.atHash ?? true);
    if (problem !== undefined) return problem;
  } else if (json.id_token !== undefined) return 'an ID Token where none was asked for';
  if (!isSuccess(work, response.status, text))
    return `the success check does not match: ${text.slice(0, 300)}`;
  const replay = await fetch(`http://127.0.0.1:${endpoint.port}${endpoint.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(endpoint) },
    body: bodyFor(work, endpoint, credential),
  });
  const replayText = await replay.text();
  if (isSuccess(work, replay.status, replayText))
    return `a ${isExchange(work) ? 'code' : 'refresh token'} worked twice`;
  return undefined;
}

/**
 * The ID Token of an `exchange-openid` response, checked without verifying
 * the signature (the targets' own tests do that): a compact JWS signed with
 * ES256, for this client, carrying the request's nonce and, unless the
 * target is known to leave it out (`atHash` false), an `at_hash`.
 */
function checkIdToken(idToken: unknown, endpoint: Endpoint, atHash: boolean): string | undefined {
  if (typeof idToken !== 'string') return 'no id_token';
  const parts = idToken.split('.');
  if (parts.length !== 3 || (parts[2] as string).length < 16)
    return `id_token is not a compact JWS: ${idToken}`;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString()) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString()) as Record<string, unknown>;
  } catch {
    return `id_token does not decode: ${idToken.slice(0, 120)}`;
  }
  if (header.alg !== 'ES256') return `id_token signed with ${String(header.alg)}, not ES256`;
  if (claims.nonce !== client.nonce) return `id_token nonce ${String(claims.nonce)}`;
  const aud = claims.aud;
  if (aud !== endpoint.clientId && !(Array.isArray(aud) && aud.includes(endpoint.clientId)))
    return `id_token aud ${JSON.stringify(aud)}`;
  if (atHash && typeof claims.at_hash !== 'string') return 'id_token without at_hash';
  if (claims.sub !== client.subject) return `id_token sub ${String(claims.sub)}`;
  return undefined;
}

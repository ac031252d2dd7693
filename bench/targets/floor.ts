/**
 * The floor: a bare `node:http` handler doing only the minimum a token
 * endpoint must do (parse the form, check HTTP Basic in constant time, take
 * the code or refresh token out of a Map, make two random tokens, remember
 * the new refresh token, reply JSON). No library, no hashing at rest, no
 * records: the limit of this machine, which every target is compared to.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { client, runTarget } from '../lib/target.ts';

const expected = Buffer.from(`Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`);
/** Code or refresh token -> subject. */
const codes = new Map<string, string>();
const refreshTokens = new Map<string, string>();

const token = () => randomBytes(32).toString('base64url');

function authorized(header: string | undefined): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (!authorized(req.headers.authorization)) {
    reply(res, 401, '{"error":"invalid_client"}');
    return;
  }
  const form = new URLSearchParams(body);
  const grant = form.get('grant_type');
  const presented = grant === 'authorization_code' ? form.get('code') : form.get('refresh_token');
  const from = grant === 'authorization_code' ? codes : grant === 'refresh_token' ? refreshTokens : undefined;
  const subject = presented === null || from === undefined ? undefined : from.get(presented);
  if (subject === undefined || presented === null || from === undefined) {
    reply(res, 400, '{"error":"invalid_grant"}');
    return;
  }
  from.delete(presented);
  const access = token();
  const refresh = token();
  refreshTokens.set(refresh, subject);
  reply(
    res,
    200,
    JSON.stringify({
      access_token: access,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: refresh,
      scope: client.scope,
    }),
  );
}

runTarget(async () => ({
  path: '/token',
  listener(req, res) {
    if (req.method !== 'POST' || req.url !== '/token') {
      reply(res, 404, '{"error":"not_found"}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  },
  async mint(work, count) {
    const into = work === 'exchange' ? codes : refreshTokens;
    return Array.from({ length: count }, () => {
      const value = token();
      into.set(value, client.subject);
      return value;
    });
  },
}));

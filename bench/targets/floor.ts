/**
 * The floor: a bare `node:http` handler doing only the minimum a token
 * endpoint must do (parse the form, check HTTP Basic in constant time, take
 * the code or refresh token out of a Map, make two random tokens, remember
 * the new refresh token, reply JSON). No library, no hashing at rest, no
 * records: the limit of this machine, which every target is compared to.
 * Its random tokens come from a pool (`pooledToken`), as Kraikub's do.
 * The same file is the Node 22 floor (`floor-node22`).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { reply, tokenJson, tokenListener } from '../lib/body.ts';
import { pooledToken } from '../lib/random.ts';
import { client, runTarget } from '../lib/target.ts';

const expected = Buffer.from(`Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`);
/** Code or refresh token -> subject. */
const codes = new Map<string, string>();
const refreshTokens = new Map<string, string>();

const token = pooledToken;

function authorized(header: string | undefined): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
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
  reply(res, 200, tokenJson(access, refresh, client.scope));
}

runTarget(async () => ({
  path: '/token',
  listener: tokenListener(handle),
  async mint(work, count) {
    const into = work === 'exchange' ? codes : refreshTokens;
    return Array.from({ length: count }, () => {
      const value = token();
      into.set(value, client.subject);
      return value;
    });
  },
}));

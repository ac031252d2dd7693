/**
 * A calibration target, not a competitor: the floor's work plus `SPIN_US`
 * microseconds of busy waiting per request. It measures what a given amount
 * of extra CPU work per request costs in requests per second on this machine
 * (see README: on a VM the cost is amplified).
 *
 *   SPIN_US=25 pnpm bench --targets=floor,floor-spin --works=exchange
 */
import { timingSafeEqual } from 'node:crypto';
import { readBody, sendJson } from '../lib/body.ts';
import { pooledToken } from '../lib/random.ts';
import { client, runTarget } from '../lib/target.ts';

const spin = Number(process.env.SPIN_US ?? 0) / 1000;
const expected = Buffer.from(`Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`);
const live = new Set<string>();
const token = pooledToken;

runTarget(async () => ({
  path: '/token',
  listener(req, res) {
    readBody(req).then((text) => {
      const until = performance.now() + spin;
      while (performance.now() < until);
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return sendJson(res, 401, { error: 'invalid_client' });
      }
      const form = new URLSearchParams(text);
      const presented = form.get('code') ?? form.get('refresh_token');
      if (presented === null || !live.delete(presented))
        return sendJson(res, 400, { error: 'invalid_grant' });
      const refresh = token();
      live.add(refresh);
      sendJson(res, 200, {
        access_token: token(),
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: refresh,
        scope: client.scope,
      });
    });
  },
  async mint(_work, count) {
    return Array.from({ length: count }, () => {
      const value = token();
      live.add(value);
      return value;
    });
  },
}));

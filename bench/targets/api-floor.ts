/**
 * The floor of the API paths: a bare `node:http` handler doing the minimum
 * for the same answers as `api-kraikub.ts`, access tokens in `API_FORMAT`.
 *
 * - `GET /api/me`: read `Authorization: Bearer`, SHA-256 the token, look the
 *   hash up in a `Map` (what makes revocation count), check expiry, reply
 *   200 `{"sub":...}`. For a JWT, first verify it with `jose` (ES256, `typ`
 *   `at+jwt`, `iss`, `aud`, `exp`): Kraikub's `verifyBearer(server)` checks
 *   both the signature and the store.
 * - `GET /api/me-sig` (jwt only): `jose`'s `jwtVerify` alone, no lookup:
 *   the floor of a resource server checking by signature.
 * - `POST /introspect`: HTTP Basic in constant time, the form's `token`,
 *   SHA-256 and the `Map`, reply `{"active":true,...}`. For a JWT too: the
 *   server that stored the token's hash needs no signature check to answer
 *   (Kraikub does check it first, so nobody else's JWT reaches its store).
 *
 * `jose` (6.x) is imported from `@kraikub/jose`'s own dependency, so the
 * floor and Kraikub verify with the same library and version. Tokens are
 * minted here (random 32 bytes, or JWTs signed with a key of the floor's
 * own shaped like Kraikub's RFC 9068 tokens), never through HTTP.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { basic } from '../lib/kraikub.ts';
import { client } from '../lib/target.ts';
import { formatFromEnv, resource, serveApiTarget } from './api-common.ts';

/** The few `jose` functions the floor uses (bench has no `jose` dependency of its own to take types from). */
interface Jose {
  generateKeyPair(alg: string): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }>;
  jwtVerify(
    jwt: string,
    key: CryptoKey,
    options: Record<string, unknown>,
  ): Promise<{ payload: Record<string, unknown> }>;
  SignJWT: new (
    payload: Record<string, unknown>,
  ) => {
    setProtectedHeader(header: Record<string, string>): { sign(key: CryptoKey): Promise<string> };
  };
}

async function loadJose(): Promise<Jose> {
  const require = createRequire(new URL('../../packages/jose/package.json', import.meta.url));
  return (await import(pathToFileURL(require.resolve('jose')).href)) as Jose;
}

const issuer = 'http://localhost:3000';
const expected = Buffer.from(basic);
const digest = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Token hash -> what introspection and the resource need. */
interface Row {
  readonly sub: string;
  readonly exp: number;
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

function basicOk(header: string | undefined): boolean {
  if (header === undefined) return false;
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

serveApiTarget(async () => {
  const format = formatFromEnv();
  const jose = await loadJose();
  const keys = await jose.generateKeyPair('ES256');
  const rows = new Map<string, Row>();
  const verifyOptions = {
    issuer,
    audience: resource,
    typ: 'at+jwt',
    algorithms: ['ES256'],
    requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
  };

  const live = (token: string): Row | undefined => {
    const row = rows.get(digest(token));
    return row !== undefined && row.exp > Date.now() / 1000 ? row : undefined;
  };
  const refuse = (res: ServerResponse) => {
    res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
    reply(res, 401, '{"error":"invalid_token"}');
  };

  const resourceRoute = (req: IncomingMessage, res: ServerResponse, lookup: boolean) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (token === undefined) return refuse(res);
    if (format === 'opaque') {
      const row = live(token);
      return row === undefined ? refuse(res) : reply(res, 200, JSON.stringify({ sub: row.sub }));
    }
    jose.jwtVerify(token, keys.publicKey, verifyOptions).then(
      ({ payload }) => {
        if (lookup && live(token) === undefined) return refuse(res);
        reply(res, 200, JSON.stringify({ sub: payload.sub }));
      },
      () => refuse(res),
    );
  };

  const introspect = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (!basicOk(req.headers.authorization)) {
        res.setHeader('www-authenticate', 'Basic');
        return reply(res, 401, '{"error":"invalid_client"}');
      }
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token');
      const row = token === null ? undefined : live(token);
      reply(
        res,
        200,
        row === undefined
          ? '{"active":false}'
          : JSON.stringify({
              active: true,
              client_id: client.id,
              scope: client.scope,
              sub: row.sub,
              exp: row.exp,
              aud: resource,
              token_type: 'Bearer',
            }),
      );
    });
  };

  const mint = async (): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + 3600;
    const token =
      format === 'opaque'
        ? randomBytes(32).toString('base64url')
        : await new jose.SignJWT({
            iss: issuer,
            sub: client.subject,
            aud: resource,
            client_id: client.id,
            scope: client.scope,
            iat: now,
            exp,
            jti: `${randomBytes(16).toString('base64url')}.${randomBytes(16).toString('base64url')}`,
          })
            .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'floor-es256' })
            .sign(keys.privateKey);
    rows.set(digest(token), { sub: client.subject, exp });
    return token;
  };

  return {
    info: { format },
    listener(req, res) {
      if (req.url === '/introspect' && req.method === 'POST') return introspect(req, res);
      if (req.url === '/api/me') return resourceRoute(req, res, true);
      if (req.url === '/api/me-sig' && format === 'jwt') return resourceRoute(req, res, false);
      reply(res, 404, '{"error":"not_found"}');
    },
    async commands(command) {
      if (command.type !== 'mint') throw new Error(`unknown command ${command.type}`);
      const tokens: string[] = [];
      for (let i = 0; i < Number(command.count); i++) tokens.push(await mint());
      return tokens;
    },
  };
});

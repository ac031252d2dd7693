import { sha256Base64url } from '../crypto.ts';
import { grantIdOfJti } from '../rules/jwt-access-token.ts';
import { type ParsedToken, parseToken } from '../tokens.ts';
import type { Context } from './context.ts';
import { detached, isBase64url } from './strings.ts';

/** The longest JWT access token looked at: ours are well under 2 KiB. */
const maxJwtLength = 8_192;

/** `header.payload.signature`, each part base64url: the shape of a compact JWS. */
function looksLikeJws(value: string): boolean {
  if (value.length > maxJwtLength) return false;
  const first = value.indexOf('.');
  const second = value.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === value.length - 1) return false;
  if (value.indexOf('.', second + 1) !== -1) return false;
  return (
    isBase64url(value.slice(0, first)) &&
    isBase64url(value.slice(first + 1, second)) &&
    isBase64url(value.slice(second + 1))
  );
}

/**
 * Parses a presented token of any kind core issues: an opaque credential by
 * its prefix, or an RFC 9068 JWT access token this server signed (its
 * signature, `typ: at+jwt` and `iss` checked first, so nobody else's JWT
 * ever reaches a store). `undefined` for anything else. Throws only when a
 * port does (the caller turns that into an OAuth error).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export async function parsePresentedToken(ctx: Context, value: unknown): Promise<ParsedToken | undefined> {
  if (typeof value !== 'string') return undefined;
  const signer = ctx.signer;
  if (signer === undefined || !looksLikeJws(value)) return parseToken(ctx.crypto, value);
  const claims = await signer.verify(value, { typ: 'at+jwt' });
  if (claims === undefined || claims.iss !== ctx.config.issuer) return undefined;
  const grantId = grantIdOfJti(claims.jti);
  if (grantId === undefined) return undefined;
  return {
    kind: 'access_token',
    key: { grantId: detached(grantId), hash: await sha256Base64url(ctx.crypto, value) },
  };
}

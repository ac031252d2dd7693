import {
  base64url,
  decodeBase64url,
  type PublicJwks,
  type SignerPort,
  type SignOptions,
} from '@kraikub/core';

/**
 * A signer for core's tests, on Web Crypto (ES256), so core's OpenID Connect
 * rules are tested without the jose package: compact JWS with `alg`, `kid`
 * and `typ`, `at_hash` as SHA-256's left half. Several keys: the first signs,
 * all verify (what a rotation looks like).
 */
export async function testSigner(
  kids: readonly string[] = ['k1'],
): Promise<SignerPort & { readonly activeKid: string }> {
  const keys = await Promise.all(
    kids.map(async (kid) => ({
      kid,
      pair: (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair,
    })),
  );
  const encoder = new TextEncoder();
  const text = (value: unknown) => base64url(encoder.encode(JSON.stringify(value)));
  const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
  const active = keys[0] as (typeof keys)[number];
  return {
    activeKid: active.kid,
    algorithm: 'ES256',
    algorithms: ['ES256'],
    async sign(claims: Readonly<Record<string, unknown>>, options: SignOptions): Promise<string> {
      const payload = { ...claims };
      if (options.accessToken !== undefined) payload.at_hash = await atHash(options.accessToken);
      const input = `${text({ alg: 'ES256', kid: active.kid, typ: options.typ })}.${text(payload)}`;
      const signature = await crypto.subtle.sign(algorithm, active.pair.privateKey, encoder.encode(input));
      return `${input}.${base64url(new Uint8Array(signature))}`;
    },
    async publicKeys(): Promise<PublicJwks> {
      return {
        keys: await Promise.all(
          keys.map(async ({ kid, pair }) => ({
            ...(await crypto.subtle.exportKey('jwk', pair.publicKey)),
            kid,
            alg: 'ES256',
            use: 'sig',
          })),
        ),
      };
    },
    async verify(jws: string, options: { readonly typ: 'JWT' | 'at+jwt' }) {
      const [h, p, s] = jws.split('.');
      if (h === undefined || p === undefined || s === undefined) return undefined;
      try {
        const header = JSON.parse(new TextDecoder().decode(decodeBase64url(h))) as Record<string, unknown>;
        const key = keys.find((k) => k.kid === header.kid);
        const signature = decodeBase64url(s);
        if (
          key === undefined ||
          header.alg !== 'ES256' ||
          header.typ !== options.typ ||
          signature === undefined
        )
          return undefined;
        const ok = await crypto.subtle.verify(
          algorithm,
          key.pair.publicKey,
          signature as Uint8Array<ArrayBuffer>,
          encoder.encode(`${h}.${p}`),
        );
        return ok
          ? (JSON.parse(new TextDecoder().decode(decodeBase64url(p))) as Record<string, unknown>)
          : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** OpenID Connect Core 3.1.3.6: the left half of SHA-256 of the ASCII access token, base64url. */
export async function atHash(accessToken: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
  return base64url(digest.slice(0, 16));
}

/** The claims of a compact JWS (no verification: the test verified it or does not care). */
export function claimsOf(jws: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(decodeBase64url(jws.split('.')[1] ?? ''))) as Record<
    string,
    unknown
  >;
}

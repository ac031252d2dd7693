import type { AccessTokenInfo, AccessTokenVerifier, VerifyAccessTokenOptions } from '@kraikub/core';
import * as oauth from 'oauth4webapi';

/** How the MCP server reaches the authorization server's introspection endpoint. */
export interface IntrospectionOptions {
  /** The authorization server's issuer (its metadata is discovered from it). */
  readonly issuer: string;
  /** The confidential client this resource server authenticates as (registered as its `clientId`). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Allow an http issuer (development on loopback only). */
  readonly allowHttp?: boolean;
}

/**
 * Checks access tokens by asking the authorization server (RFC 7662), with
 * oauth4webapi: every call is a lookup, so a revoked token is refused at
 * once. The provider tells this resource server only about tokens meant for
 * it (their `aud`), and core's rules decide `active`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662
 */
export function introspectionVerifier(options: IntrospectionOptions): AccessTokenVerifier {
  const issuer = new URL(options.issuer);
  const client: oauth.Client = { client_id: options.clientId };
  const auth = oauth.ClientSecretBasic(options.clientSecret);
  const insecure = options.allowHttp === true ? { [oauth.allowInsecureRequests]: true } : {};
  let discovered: Promise<oauth.AuthorizationServer> | undefined;
  const metadata = () => {
    // RFC 8414 metadata: every OAuth server has it, OpenID Connect discovery only one that signs ID Tokens.
    discovered ??= oauth
      .discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' })
      .then((response) => oauth.processDiscoveryResponse(issuer, response));
    // A failed discovery is retried on the next request rather than remembered.
    discovered.catch(() => {
      discovered = undefined;
    });
    return discovered;
  };

  async function verify(
    token: string,
    verifyOptions: VerifyAccessTokenOptions = {},
  ): Promise<AccessTokenInfo | undefined> {
    const as = await metadata();
    const response = await oauth.introspectionRequest(as, client, auth, token, insecure);
    const answer = await oauth.processIntrospectionResponse(as, client, response);
    if (!answer.active || answer.token_type?.toLowerCase() !== 'bearer') return undefined;
    const audience = typeof answer.aud === 'string' ? [answer.aud] : (answer.aud ?? []);
    if (verifyOptions.audience !== undefined && !audience.includes(verifyOptions.audience)) return undefined;
    if (typeof answer.client_id !== 'string' || typeof answer.exp !== 'number') return undefined;
    return {
      clientId: answer.client_id,
      subject: answer.sub,
      scopes: (answer.scope ?? '').split(' ').filter((scope) => scope !== ''),
      expiresAt: answer.exp * 1000,
      grantId: '',
      audience,
    };
  }

  return { issuer: options.issuer, verify };
}

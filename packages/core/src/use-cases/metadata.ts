import type { Context } from '../lib/context.ts';

/**
 * Authorization server metadata.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly revocation_endpoint: string;
  readonly introspection_endpoint: string;
  readonly scopes_supported: readonly string[];
  readonly response_types_supported: readonly ['code'];
  readonly response_modes_supported: readonly ['query'];
  readonly grant_types_supported: readonly string[];
  readonly token_endpoint_auth_methods_supported: readonly string[];
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly introspection_endpoint_auth_methods_supported: readonly string[];
  readonly code_challenge_methods_supported: readonly ['S256'];
  readonly authorization_response_iss_parameter_supported: true;
}

/** Builds the metadata document from the configuration. */
export function metadata(ctx: Context): AuthorizationServerMetadata {
  const base = ctx.config.issuer.replace(/\/+$/, '');
  const { endpoints } = ctx.config;
  return {
    issuer: ctx.config.issuer,
    authorization_endpoint: base + endpoints.authorization,
    token_endpoint: base + endpoints.token,
    revocation_endpoint: base + endpoints.revocation,
    introspection_endpoint: base + endpoints.introspection,
    scopes_supported: Object.keys(ctx.config.scopes),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  };
}

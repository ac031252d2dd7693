import type { Context } from '../lib/context.ts';
import { scopeClaims } from '../rules/claims.ts';

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
  /** RFC 7591 section 3, when dynamic registration is on. */
  readonly registration_endpoint?: string;
  /** Client ID Metadata Documents, when they are on. */
  readonly client_id_metadata_document_supported?: true;
  // OpenID Connect Discovery 1.0 section 3, when the server has a signer.
  readonly jwks_uri?: string;
  readonly userinfo_endpoint?: string;
  readonly end_session_endpoint?: string;
  readonly subject_types_supported?: readonly ['public'];
  readonly id_token_signing_alg_values_supported?: readonly string[];
  readonly claims_supported?: readonly string[];
  readonly claims_parameter_supported?: true;
  readonly request_parameter_supported?: false;
  readonly request_uri_parameter_supported?: false;
  readonly prompt_values_supported?: readonly string[];
}

/** The claims this provider can put in ID Tokens and UserInfo (the host's data decides which it has). */
const claimsSupported = [
  'sub',
  'iss',
  'aud',
  'azp',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  ...Object.values(scopeClaims).flat(),
];

/**
 * Builds the metadata document from the configuration: RFC 8414 metadata,
 * plus the OpenID Connect Discovery members when the server has a signer
 * (the same document serves both well-known paths).
 *
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 */
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
    ...(ctx.registration === undefined ? {} : { registration_endpoint: base + endpoints.registration }),
    ...(ctx.clientIdMetadataDocuments === true
      ? { client_id_metadata_document_supported: true as const }
      : {}),
    ...(ctx.signer === undefined
      ? {}
      : {
          jwks_uri: base + endpoints.jwks,
          userinfo_endpoint: base + endpoints.userinfo,
          end_session_endpoint: base + endpoints.endSession,
          subject_types_supported: ['public'] as const,
          id_token_signing_alg_values_supported: [...ctx.signer.algorithms],
          claims_supported: claimsSupported,
          claims_parameter_supported: true as const,
          request_parameter_supported: false as const,
          request_uri_parameter_supported: false as const,
          prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
        }),
  };
}

/**
 * Client metadata (RFC 7591 section 2): what a client says about itself,
 * when it registers (RFC 7591, 7592) or publishes a Client ID Metadata
 * Document, turned into the fields of a {@link ClientRecord} (and back).
 * Pure: no store, no clock.
 *
 * @module
 */
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';
import { clientRecordSchema, redirectUriSchema, scopeTokenPattern } from '../config.ts';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import { canonical, detached } from '../lib/strings.ts';
import type { ClientRecord, GrantType, TokenEndpointAuthMethod } from '../ports.ts';

/** What a client says about itself that a registration turns into a record. */
export type ClientMetadataFields = Omit<ClientRecord, 'id' | 'secretHash' | 'registration'>;

/** Why metadata was refused (RFC 7591 section 3.2.2). */
export type ClientMetadataError = OAuthErrorOf<'invalid_client_metadata' | 'invalid_redirect_uri'>;

/**
 * The client metadata of RFC 7591 section 2, as JSON names it. Unknown
 * members are ignored (section 3.2.1 allows it); `jwks`, `jwks_uri` and
 * `software_statement` are refused by the rules below.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 */
export interface ClientMetadata {
  readonly redirect_uris?: readonly string[];
  readonly token_endpoint_auth_method?: string;
  readonly grant_types?: readonly string[];
  readonly response_types?: readonly string[];
  readonly client_name?: string;
  readonly client_uri?: string;
  readonly logo_uri?: string;
  readonly scope?: string;
  readonly contacts?: readonly string[];
  readonly tos_uri?: string;
  readonly policy_uri?: string;
  readonly software_id?: string;
  readonly software_version?: string;
  /** OpenID Connect RP-Initiated Logout 1.0 section 3.1. */
  readonly post_logout_redirect_uris?: readonly string[];
}

/** Where the metadata comes from: a registration request, or a Client ID Metadata Document. */
export type MetadataSource = 'registration' | 'document';

/** Every scope a client may be allowed: the server's, and `openid` when it speaks OpenID Connect. */
export function offeredScopes(scopes: Readonly<Record<string, string>>, openid: boolean): string[] {
  const names = Object.keys(scopes);
  return openid && !names.includes('openid') ? [...names, 'openid'] : names;
}

/** What the server offers, against which metadata is checked. */
export interface MetadataPolicy {
  /** Every scope a client may be allowed (the server's scopes, `openid` with a signer). */
  readonly scopes: readonly string[];
}

const text = (max: number) => z.string().min(1).max(max);
const grantTypes = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const authMethods = ['client_secret_basic', 'client_secret_post', 'none'] as const;

/** The shape; the checks that need more than one member follow in {@link clientFieldsFromMetadata}. */
const shape = z.object({
  redirect_uris: z.array(z.string().max(2048)).max(20).optional(),
  token_endpoint_auth_method: z.string().max(64).optional(),
  grant_types: z.array(z.string().max(64)).max(10).optional(),
  response_types: z.array(z.string().max(64)).max(10).optional(),
  client_name: text(256).optional(),
  client_uri: z.string().max(2048).optional(),
  logo_uri: z.string().max(2048).optional(),
  scope: z.string().max(4096).optional(),
  contacts: z.array(text(256)).max(10).optional(),
  tos_uri: z.string().max(2048).optional(),
  policy_uri: z.string().max(2048).optional(),
  software_id: text(256).optional(),
  software_version: text(256).optional(),
  post_logout_redirect_uris: z.array(z.string().max(2048)).max(20).optional(),
  jwks: z.unknown().optional(),
  jwks_uri: z.unknown().optional(),
  software_statement: z.unknown().optional(),
});

const invalid = (description: string): ClientMetadataError =>
  oauthError('invalid_client_metadata', description);

/** A member's name for an error description: the schema's own names only, never input. */
function memberOf(path: readonly PropertyKey[]): string {
  const first = path[0];
  return typeof first === 'string' && Object.hasOwn(shape.shape, first) ? first : 'the metadata';
}

/**
 * Checks client metadata and turns it into the fields of a client record.
 *
 * - `redirect_uris`: each absolute, without fragment, https or loopback
 *   http, or a private-use scheme for native apps (RFC 8252 section 7);
 *   else `invalid_redirect_uri`. Required for `authorization_code`.
 * - `token_endpoint_auth_method`: `client_secret_basic` by default (RFC 7591
 *   section 2), `none` for a public client; a metadata document may only be
 *   `none` (it has no way to hold a secret) and is `none` by default.
 * - `grant_types` (default `authorization_code`) and `response_types`
 *   (default `code`) must agree (section 2.1); `client_credentials` needs a
 *   secret.
 * - `scope`: the scopes it may ask for, each one the server offers, and
 *   the ones a request without `scope` gets (RFC 6749 section 3.3). Absent:
 *   every scope the server offers, and the server's defaults.
 * - `jwks`, `jwks_uri` (`private_key_jwt` is not supported) and software
 *   statements are refused.
 *
 * Every PKCE rule holds: public clients always need it, and registered
 * clients are marked `requirePkce` whatever their method.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-2
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/
 */
export function clientFieldsFromMetadata(
  input: unknown,
  policy: MetadataPolicy,
  source: MetadataSource,
): Result<ClientMetadataFields, ClientMetadataError | OAuthErrorOf<'invalid_software_statement'>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return err(invalid('The client metadata must be a JSON object.'));
  }
  const parsed = shape.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const member = memberOf(issue?.path ?? []);
    return err(
      member === 'redirect_uris' || member === 'post_logout_redirect_uris'
        ? oauthError('invalid_redirect_uri', `${member} must be an array of URIs.`)
        : invalid(`${member} is not valid.`),
    );
  }
  const metadata = parsed.data;
  if (metadata.software_statement !== undefined) {
    return err(oauthError('invalid_software_statement', 'Software statements are not supported.'));
  }
  if (metadata.jwks !== undefined || metadata.jwks_uri !== undefined) {
    return err(invalid('jwks and jwks_uri are not supported (no private_key_jwt).'));
  }

  const method =
    metadata.token_endpoint_auth_method ?? (source === 'document' ? 'none' : 'client_secret_basic');
  if (!(authMethods as readonly string[]).includes(method)) {
    return err(invalid('token_endpoint_auth_method is not supported.'));
  }
  if (source === 'document' && method !== 'none') {
    return err(invalid('A client metadata document may only use token_endpoint_auth_method none.'));
  }
  const tokenEndpointAuthMethod = method as TokenEndpointAuthMethod;

  const grants = metadata.grant_types ?? ['authorization_code'];
  for (const grant of grants) {
    if (!(grantTypes as readonly string[]).includes(grant))
      return err(invalid('grant_types has an unsupported grant type.'));
  }
  const responses = metadata.response_types ?? ['code'];
  if (responses.some((type) => type !== 'code')) return err(invalid('response_types supports code only.'));
  const wantsCode = grants.includes('authorization_code');
  if (wantsCode !== responses.includes('code') && metadata.response_types !== undefined) {
    return err(invalid('grant_types and response_types disagree (RFC 7591 section 2.1).'));
  }
  if (tokenEndpointAuthMethod === 'none' && grants.includes('client_credentials')) {
    return err(invalid('client_credentials needs a confidential client.'));
  }

  const redirectUris = metadata.redirect_uris ?? [];
  for (const uri of [...redirectUris, ...(metadata.post_logout_redirect_uris ?? [])]) {
    if (!redirectUriSchema.safeParse(uri).success || !isWebOrReverseDomain(uri)) {
      return err(
        oauthError(
          'invalid_redirect_uri',
          'A redirect URI is not allowed (https, loopback http or a private-use scheme, no fragment).',
        ),
      );
    }
  }
  if (wantsCode && redirectUris.length === 0) {
    return err(oauthError('invalid_redirect_uri', 'redirect_uris is required for authorization_code.'));
  }

  let scopes = [...policy.scopes];
  let defaultScopes: string[] | undefined;
  if (metadata.scope !== undefined) {
    const asked = [...new Set(metadata.scope.split(' ').filter((token) => token !== ''))];
    if (asked.some((token) => !scopeTokenPattern.test(token)))
      return err(invalid('scope is not a valid scope list.'));
    if (asked.some((token) => !policy.scopes.includes(token)))
      return err(invalid('scope names a scope this server does not offer.'));
    scopes = canonical(asked, policy.scopes);
    defaultScopes = scopes;
  }

  const name = metadata.client_name ?? (source === 'document' ? undefined : 'Unnamed client');
  const fields: ClientMetadataFields = {
    name: detached(name ?? 'Unnamed client'),
    redirectUris: redirectUris.map(detached),
    tokenEndpointAuthMethod: canonical([tokenEndpointAuthMethod], authMethods)[0] as TokenEndpointAuthMethod,
    grantTypes: canonical(grants, grantTypes) as GrantType[],
    scopes,
    requirePkce: true,
    ...(defaultScopes === undefined ? {} : { defaultScopes }),
    ...(metadata.post_logout_redirect_uris === undefined
      ? {}
      : { postLogoutRedirectUris: metadata.post_logout_redirect_uris.map(detached) }),
    ...optional('clientUri', metadata.client_uri),
    ...optional('logoUri', metadata.logo_uri),
    ...optional('policyUri', metadata.policy_uri),
    ...optional('tosUri', metadata.tos_uri),
    ...optional('softwareId', metadata.software_id),
    ...optional('softwareVersion', metadata.software_version),
    ...(metadata.contacts === undefined ? {} : { contacts: metadata.contacts.map(detached) }),
  };
  // The record's own rules (web URLs, lengths) are the last word.
  const checked = clientRecordSchema.safeParse({
    id: 'check',
    ...fields,
    ...(tokenEndpointAuthMethod === 'none' ? {} : { secretHash: 'A'.repeat(43) }),
  });
  if (!checked.success) {
    const key = checked.error.issues[0]?.path[0];
    return err(
      invalid(
        `${typeof key === 'string' ? (recordToMetadata[key] ?? 'the metadata') : 'the metadata'} is not valid.`,
      ),
    );
  }
  return ok(fields);
}

/**
 * A registering client's redirect URI is a web URL or a private-use scheme
 * in reverse domain form (`com.example.app:/cb`), so no client can claim a
 * generic scheme another app answers.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.1
 */
function isWebOrReverseDomain(uri: string): boolean {
  const scheme = uri.slice(0, uri.indexOf(':')).toLowerCase();
  return scheme === 'https' || scheme === 'http' || scheme.includes('.');
}

/** Record field to metadata member, for error descriptions. */
const recordToMetadata: Readonly<Record<string, string>> = {
  name: 'client_name',
  redirectUris: 'redirect_uris',
  clientUri: 'client_uri',
  logoUri: 'logo_uri',
  policyUri: 'policy_uri',
  tosUri: 'tos_uri',
  contacts: 'contacts',
  softwareId: 'software_id',
  softwareVersion: 'software_version',
  postLogoutRedirectUris: 'post_logout_redirect_uris',
};

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: detached(value) }) as { [P in K]?: string };
}

/**
 * A client's metadata as RFC 7591 returns it (section 3.2.1), without the
 * credentials (`client_id`, `client_secret`, the registration access token),
 * which the registration use cases add.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1
 */
export function metadataOfClient(client: ClientRecord): Record<string, unknown> {
  return {
    client_name: client.name,
    redirect_uris: client.redirectUris,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    grant_types: client.grantTypes,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    scope: client.scopes.join(' '),
    ...(client.postLogoutRedirectUris === undefined
      ? {}
      : { post_logout_redirect_uris: client.postLogoutRedirectUris }),
    ...(client.clientUri === undefined ? {} : { client_uri: client.clientUri }),
    ...(client.logoUri === undefined ? {} : { logo_uri: client.logoUri }),
    ...(client.policyUri === undefined ? {} : { policy_uri: client.policyUri }),
    ...(client.tosUri === undefined ? {} : { tos_uri: client.tosUri }),
    ...(client.contacts === undefined ? {} : { contacts: client.contacts }),
    ...(client.softwareId === undefined ? {} : { software_id: client.softwareId }),
    ...(client.softwareVersion === undefined ? {} : { software_version: client.softwareVersion }),
  };
}

import { err, ok, type Result } from 'neverthrow';
import type { AuthorizationServerConfig } from '../config.ts';
import { type OAuthErrorOf, oauthError } from '../errors.ts';
import type { ClientRecord } from '../ports.ts';

type TargetError = OAuthErrorOf<'invalid_target'>;

const invalidTarget = (detail: string): TargetError =>
  oauthError(
    'invalid_target',
    'The requested resource is invalid, unknown, or not allowed for this client.',
    {
      detail,
    },
  );

/** A registered resource server, as the rules read it. */
export type ResourceServer = AuthorizationServerConfig['resourceServers'][number];

/**
 * The `resource` values of a request (RFC 8707 section 2), each the
 * registered resource server's own string (never a piece of the request):
 * every one must be registered and allowed for the client. Without any, the
 * server's `defaultResources` (those the client may use). Repeats of one
 * value count once.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export function requestedResources(
  values: readonly string[] | undefined,
  client: ClientRecord,
  config: AuthorizationServerConfig,
): Result<string[], TargetError> {
  const sent = (values ?? []).filter((value) => value !== '');
  if (sent.length === 0) {
    return ok(config.defaultResources.filter((resource) => allowedFor(client, resource)));
  }
  const chosen: string[] = [];
  for (const value of sent) {
    const server = config.resourceServers.find((rs) => rs.resource === value);
    if (server === undefined) return err(invalidTarget('resource not registered'));
    if (!allowedFor(client, server.resource))
      return err(invalidTarget('resource not allowed for the client'));
    if (!chosen.includes(server.resource)) chosen.push(server.resource);
  }
  return ok(chosen);
}

function allowedFor(client: ClientRecord, resource: string): boolean {
  return client.resources === undefined || client.resources.includes(resource);
}

/**
 * The audience of a token request's access token: the `resource` values it
 * names, which must be among those granted (a narrowing, RFC 8707 section
 * 2.2), or all of them when it names none.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
export function narrowResources(
  values: readonly string[] | undefined,
  granted: readonly string[],
): Result<string[], TargetError> {
  const sent = (values ?? []).filter((value) => value !== '');
  if (sent.length === 0) return ok([...granted]);
  const chosen: string[] = [];
  for (const value of sent) {
    const own = granted.find((resource) => resource === value);
    if (own === undefined) return err(invalidTarget('resource not among those granted'));
    if (!chosen.includes(own)) chosen.push(own);
  }
  return ok(chosen);
}

/**
 * The scopes an access token for `audience` carries: the granted scopes
 * that some resource of the audience accepts (a resource server without a
 * scope list accepts all). No audience: all of them.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
 */
export function audienceScopes(
  scopes: readonly string[],
  audience: readonly string[],
  config: AuthorizationServerConfig,
): readonly string[] {
  if (audience.length === 0) return scopes;
  const servers = audience.map((resource) => config.resourceServers.find((rs) => rs.resource === resource));
  if (servers.some((server) => server?.scopes === undefined)) return scopes;
  return scopes.filter((scope) => servers.some((server) => server?.scopes?.includes(scope)));
}

/**
 * Whether the access token for `audience` is an RFC 9068 JWT: only when it
 * has an audience and every resource of it wants JWTs.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2
 */
export function wantsJwt(audience: readonly string[], config: AuthorizationServerConfig): boolean {
  return (
    audience.length > 0 &&
    audience.every(
      (resource) =>
        config.resourceServers.find((rs) => rs.resource === resource)?.accessTokenFormat === 'jwt',
    )
  );
}

import { err, ok, type Result } from 'neverthrow';
import { type OAuthErrorOf, oauthError } from '../errors.ts';

/**
 * One requested claim of the `claims` request parameter: `null` (asked for
 * as a voluntary claim), or `{ essential?, value?, values? }`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IndividualClaimsRequests
 */
export interface ClaimRequest {
  readonly essential?: boolean;
  readonly value?: string | number | boolean;
  readonly values?: readonly (string | number | boolean)[];
}

/**
 * The `claims` request parameter, parsed: which claims the client wants in
 * the UserInfo response and in the ID Token, beside those its scopes give.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter
 */
export interface ClaimsRequest {
  readonly userinfo?: Readonly<Record<string, ClaimRequest | null>>;
  readonly id_token?: Readonly<Record<string, ClaimRequest | null>>;
}

/**
 * The claims each standard scope asks for.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 */
export const scopeClaims: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** Claims the provider sets itself: a host's value for them is never used. */
const protocolClaims = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'auth_time',
  'nonce',
  'acr',
  'amr',
  'azp',
  'at_hash',
  'c_hash',
  'sid',
  'client_id',
  'scope',
]);

/** Longest `claims` parameter accepted, in characters. */
export const maxClaimsParameterLength = 4096;

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** One member (`userinfo` or `id_token`) of the claims request, checked; `undefined` when malformed. */
function member(value: unknown): Record<string, ClaimRequest | null> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, ClaimRequest | null> = Object.create(null);
  for (const [name, request] of Object.entries(value)) {
    if (name === '__proto__' || name.length > 256) return undefined;
    if (request === null) {
      out[name] = null;
      continue;
    }
    if (typeof request !== 'object' || Array.isArray(request)) return undefined;
    const { essential, value: one, values } = request as Record<string, unknown>;
    if (essential !== undefined && typeof essential !== 'boolean') return undefined;
    if (one !== undefined && !isScalar(one)) return undefined;
    if (values !== undefined && !(Array.isArray(values) && values.every(isScalar))) return undefined;
    out[name] = {
      ...(essential === undefined ? {} : { essential }),
      ...(one === undefined ? {} : { value: one }),
      ...(values === undefined ? {} : { values: values as (string | number | boolean)[] }),
    };
  }
  return out;
}

/**
 * Parses the `claims` request parameter (a JSON object with `userinfo` and
 * `id_token` members). Malformed JSON or members are `invalid_request`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter
 */
export function parseClaimsRequest(text: string): Result<ClaimsRequest, OAuthErrorOf<'invalid_request'>> {
  const fail = () =>
    err(oauthError('invalid_request', 'The claims parameter is not a valid claims request.'));
  if (text.length > maxClaimsParameterLength) return fail();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail();
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail();
  const { userinfo, id_token: idToken } = json as Record<string, unknown>;
  const parsedUserinfo = userinfo === undefined ? undefined : member(userinfo);
  const parsedIdToken = idToken === undefined ? undefined : member(idToken);
  if (
    (userinfo !== undefined && parsedUserinfo === undefined) ||
    (idToken !== undefined && parsedIdToken === undefined)
  ) {
    return fail();
  }
  return ok({
    ...(parsedUserinfo === undefined ? {} : { userinfo: parsedUserinfo }),
    ...(parsedIdToken === undefined ? {} : { id_token: parsedIdToken }),
  });
}

/**
 * The claims a response may carry: those the granted scopes give (for the
 * UserInfo response), and those the claims request names for this target.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#ScopeClaims
 */
export function allowedClaims(
  scopes: readonly string[],
  requested: Readonly<Record<string, ClaimRequest | null>> | undefined,
  target: 'userinfo' | 'id_token',
): Set<string> {
  const allowed = new Set<string>();
  // Claims by scope go to the UserInfo response: the code flow's ID Token carries them only on request.
  if (target === 'userinfo') {
    for (const scope of scopes) for (const claim of scopeClaims[scope] ?? []) allowed.add(claim);
  }
  for (const name of Object.keys(requested ?? {})) allowed.add(name);
  return allowed;
}

/**
 * Picks from the host's claims what may be released: only allowed names,
 * never a protocol claim (the provider sets those), never `undefined`.
 */
export function releaseClaims(
  found: Readonly<Record<string, unknown>>,
  allowed: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(found)) {
    if (allowed.has(name) && !protocolClaims.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

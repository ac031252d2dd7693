import { err, ok, type Result } from 'neverthrow';
import { type OAuthError, oauthError } from '../errors.ts';
import { isWellFormed } from '../lib/response.ts';
import { detached } from '../lib/strings.ts';
import { type Params, param } from '../params.ts';
import { type ClaimsRequest, parseClaimsRequest } from './claims.ts';

/**
 * The `prompt` values.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 */
export type Prompt = 'none' | 'login' | 'consent' | 'select_account';

const prompts: ReadonlySet<string> = new Set<Prompt>(['none', 'login', 'consent', 'select_account']);

/**
 * What an OpenID Connect authentication request adds to an authorization
 * request (one whose scopes include `openid`), checked. The host's login
 * and consent step honours `prompt`, `maxAge` and the hints; core holds
 * approvals to `prompt=login`, `max_age` and `id_token_hint`.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 */
export interface OpenIdRequest {
  /** Echoed exactly in the ID Token. */
  readonly nonce?: string;
  /** `none`: decide without any page; `login`: authenticate again; `consent`: ask again. */
  readonly prompt: readonly Prompt[];
  /** Seconds: the user must have authenticated at most this long ago (`auth_time` is then in the ID Token). */
  readonly maxAge?: number;
  /** A hint of who the client expects (an email, a user name), for the login page. */
  readonly loginHint?: string;
  /** The subject of a valid `id_token_hint`: the user the client expects to be signed in. */
  readonly idTokenHintSubject?: string;
  /** Which claims the client asks for, beyond its scopes. */
  readonly claims?: ClaimsRequest;
  /** Requested Authentication Context Class References, in order of preference. */
  readonly acrValues?: readonly string[];
  /** The user's preferred languages for the pages. */
  readonly uiLocales?: readonly string[];
  /** When the request arrived (ms): an approval under `prompt=login` must have authenticated since. */
  readonly requestedAt: number;
}

/** Longest `nonce`, hint or list accepted, in characters. */
const maxNonceLength = 512;
const maxHintLength = 256;
const maxIdTokenHintLength = 8192;

/** The parameters an OpenID Connect request may add; repeats of any of them are refused. */
export const openIdParameters = [
  'nonce',
  'prompt',
  'max_age',
  'login_hint',
  'id_token_hint',
  'claims',
  'acr_values',
  'ui_locales',
  'display',
  'response_mode',
  'request',
  'request_uri',
  'registration',
  'claims_locales',
] as const;

function words(text: string | undefined, max: number): string[] | undefined | 'bad' {
  if (text === undefined) return undefined;
  if (text.length > max * 64) return 'bad';
  const list = text.split(' ').filter((word) => word !== '');
  return list.length > max || list.some((word) => word.length > maxHintLength) ? 'bad' : list.map(detached);
}

/**
 * Checks the OpenID Connect parameters of an authorization request whose
 * scopes include `openid`. The errors are redirectable (the caller adds the
 * redirect). `id_token_hint` is only checked for size here: the caller
 * verifies it (a signature check needs the signer).
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequestValidation
 */
export function checkOpenIdRequest(
  params: Params,
  now: number,
): Result<{ readonly request: OpenIdRequest }, OAuthError> {
  const invalid = (description: string) => err(oauthError('invalid_request', description));
  // Section 6: request objects are not supported; say so with the codes made for it.
  if (param(params, 'request') !== undefined) {
    return err(oauthError('request_not_supported', 'Request objects are not supported.'));
  }
  if (param(params, 'request_uri') !== undefined) {
    return err(oauthError('request_uri_not_supported', 'The request_uri parameter is not supported.'));
  }
  if (param(params, 'registration') !== undefined) {
    return err(oauthError('registration_not_supported', 'The registration parameter is not supported.'));
  }
  const responseMode = param(params, 'response_mode');
  if (responseMode !== undefined && responseMode !== 'query') {
    return invalid('Only response_mode=query is supported.');
  }

  const nonce = param(params, 'nonce');
  if (nonce !== undefined && (nonce.length > maxNonceLength || !isWellFormed(nonce))) {
    return invalid('The nonce parameter is too long or not valid text.');
  }

  const promptList = words(param(params, 'prompt'), 4);
  if (promptList === 'bad' || promptList?.some((value) => !prompts.has(value))) {
    return invalid('The prompt parameter has an unknown value.');
  }
  const prompt = [...new Set(promptList ?? [])] as Prompt[];
  if (prompt.includes('none') && prompt.length > 1) return invalid('prompt=none cannot be combined.');

  const maxAgeText = param(params, 'max_age');
  if (maxAgeText !== undefined && !/^[0-9]{1,9}$/.test(maxAgeText)) {
    return invalid('The max_age parameter must be a number of seconds.');
  }

  const claimsText = param(params, 'claims');
  let claims: ClaimsRequest | undefined;
  if (claimsText !== undefined) {
    const parsed = parseClaimsRequest(claimsText);
    if (parsed.isErr()) return err(parsed.error);
    claims = parsed.value;
  }

  const loginHint = param(params, 'login_hint');
  if (loginHint !== undefined && (loginHint.length > maxHintLength || !isWellFormed(loginHint))) {
    return invalid('The login_hint parameter is too long or not valid text.');
  }
  const idTokenHint = param(params, 'id_token_hint');
  if (idTokenHint !== undefined && idTokenHint.length > maxIdTokenHintLength) {
    return invalid('The id_token_hint parameter is too long.');
  }
  const acrValues = words(param(params, 'acr_values'), 10);
  const uiLocales = words(param(params, 'ui_locales'), 10);
  if (acrValues === 'bad' || uiLocales === 'bad') return invalid('A list parameter is too long.');

  return ok({
    request: {
      prompt,
      requestedAt: now,
      ...(nonce === undefined ? {} : { nonce: detached(nonce) }),
      ...(maxAgeText === undefined ? {} : { maxAge: Number(maxAgeText) }),
      ...(loginHint === undefined ? {} : { loginHint: detached(loginHint) }),
      ...(claims === undefined ? {} : { claims }),
      ...(acrValues === undefined ? {} : { acrValues }),
      ...(uiLocales === undefined ? {} : { uiLocales }),
    },
  });
}

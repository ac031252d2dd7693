import { err, ok, type Result } from 'neverthrow';
import { type OAuthError, oauthError } from '../errors.ts';
import type { Context } from '../lib/context.ts';
import { tryPort } from '../lib/port.ts';
import { appendQuery, isWellFormed } from '../lib/response.ts';
import { normalizeParams, type ParamsInput, param, repeated } from '../params.ts';

/**
 * A checked RP-initiated logout request: who to sign out, and where the
 * user agent goes next. The host ends its own session; the library never
 * held one.
 *
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 */
export interface EndSessionRequest {
  /** The user a valid `id_token_hint` names. */
  readonly subject?: string;
  /** The client that asked (from the hint's audience, or `client_id`). */
  readonly clientId?: string;
  /**
   * True when the request carried a valid `id_token_hint` from this
   * provider: then it comes from the client the user signed in to, and the
   * host may sign the user out at once. Without one, anyone could have sent
   * it: ask the user first.
   */
  readonly hinted: boolean;
  /** Where to send the user agent afterwards (a registered `post_logout_redirect_uri`, with `state`). */
  readonly redirect?: string;
}

const parameters = [
  'id_token_hint',
  'logout_hint',
  'client_id',
  'post_logout_redirect_uri',
  'state',
  'ui_locales',
];

/**
 * Checks an RP-initiated logout request: the `id_token_hint` must be an ID
 * Token this provider signed (expired is fine: it is a hint, not a
 * credential); `client_id`, when both are sent, must be its audience;
 * `post_logout_redirect_uri` must be registered for that client, exactly.
 * Anything else is `invalid_request`, shown as a page (never redirected).
 *
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#ValidationAndErrorHandling
 */
export async function endSession(
  ctx: Context,
  input: ParamsInput,
): Promise<Result<EndSessionRequest, OAuthError>> {
  const invalid = (description: string, detail?: string) =>
    err(oauthError('invalid_request', description, { detail }));
  const params = normalizeParams(input);
  const dup = repeated(params, parameters);
  if (dup !== undefined) return invalid(`The ${dup} parameter was sent more than once.`);
  const hint = param(params, 'id_token_hint');
  const clientParam = param(params, 'client_id');
  const redirectUri = param(params, 'post_logout_redirect_uri');
  const state = param(params, 'state');
  if (state !== undefined && (state.length > ctx.config.maxStateLength || !isWellFormed(state))) {
    return invalid('The state parameter is too long or not valid text.');
  }

  let subject: string | undefined;
  let clientId = clientParam;
  if (hint !== undefined) {
    const signer = ctx.signer;
    if (signer === undefined || hint.length > 8192) return invalid('The id_token_hint is not valid.');
    const verified = await tryPort('SignerPort.verify', () => signer.verify(hint, { typ: 'JWT' }));
    if (verified.isErr()) return err(verified.error);
    const claims = verified.value;
    const aud = claims?.aud;
    const audiences =
      typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];
    if (
      claims === undefined ||
      claims.iss !== ctx.config.issuer ||
      typeof claims.sub !== 'string' ||
      audiences.length === 0
    ) {
      return invalid('The id_token_hint is not valid.', 'bad signature, issuer, subject or audience');
    }
    if (clientParam !== undefined && !audiences.includes(clientParam)) {
      return invalid('The client_id does not match the id_token_hint.');
    }
    subject = claims.sub;
    clientId = clientParam ?? (typeof claims.azp === 'string' ? claims.azp : audiences[0]);
  }

  let redirect: string | undefined;
  if (redirectUri !== undefined) {
    if (clientId === undefined)
      return invalid('A post_logout_redirect_uri needs id_token_hint or client_id.');
    const id = clientId;
    const client = await tryPort('ClientStore.findClient', () => ctx.clients.findClient(id));
    if (client.isErr()) return err(client.error);
    const registered = client.value?.postLogoutRedirectUris ?? [];
    const match = registered.find((uri) => uri === redirectUri);
    if (match === undefined) {
      return invalid('The post_logout_redirect_uri is not registered for this client.', `client ${id}`);
    }
    redirect = appendQuery(match, { state });
  }
  return ok({
    hinted: subject !== undefined,
    ...(subject === undefined ? {} : { subject }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(redirect === undefined ? {} : { redirect }),
  });
}

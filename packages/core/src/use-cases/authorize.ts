import { err, errAsync, ok, type Result, ResultAsync } from 'neverthrow';
import { invalidClient, type OAuthError, oauthError, withRedirect } from '../errors.ts';
import type { Context } from '../lib/context.ts';
import { tryPort } from '../lib/port.ts';
import { normalizeParams, type Params, type ParamsInput, param, single } from '../params.ts';
import type { ClientRecord } from '../ports.ts';
import { type AuthorizationRequest, validateAuthorizationRequest } from '../rules/authorization-request.ts';

/**
 * Verifies an `id_token_hint`: an ID Token this provider signed (expired is
 * fine: it names a user, it grants nothing) for this client. Its subject
 * then binds the approval.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 */
async function withHint(
  ctx: Context,
  params: Params,
  request: AuthorizationRequest,
): Promise<Result<AuthorizationRequest, OAuthError>> {
  const hint = param(params, 'id_token_hint');
  const signer = ctx.signer;
  if (hint === undefined || request.openid === undefined || signer === undefined) return ok(request);
  const redirect = { redirectUri: request.redirectUri, state: request.state, iss: ctx.config.issuer };
  const verified = await tryPort('SignerPort.verify', () => signer.verify(hint, { typ: 'JWT' }));
  if (verified.isErr()) return err(verified.error);
  const claims = verified.value;
  const aud = claims?.aud;
  const forClient = aud === request.client.id || (Array.isArray(aud) && aud.includes(request.client.id));
  if (
    claims === undefined ||
    claims.iss !== ctx.config.issuer ||
    typeof claims.sub !== 'string' ||
    !forClient
  ) {
    return err(
      withRedirect(
        oauthError('invalid_request', 'The id_token_hint is not valid.', {
          detail: 'bad signature, issuer, subject or audience',
        }),
        redirect,
      ),
    );
  }
  return ok({ ...request, openid: { ...request.openid, idTokenHintSubject: claims.sub } });
}

async function validate(ctx: Context, params: Params, client: ClientRecord | undefined) {
  if (client === undefined) {
    return err(invalidClient('The client is unknown.', { basicAuth: false, detail: 'unknown client_id' }));
  }
  const checked = validateAuthorizationRequest(params, client, ctx.config, {
    now: ctx.clock.now(),
    openid: ctx.signer !== undefined,
  });
  return checked.isErr() ? err(checked.error) : withHint(ctx, params, checked.value);
}

/**
 * Validates an authorization request (RFC 6749 section 4.1.1): first the
 * client and redirect URI (errors not redirectable), then the rest (errors
 * carry their redirect), and for an OpenID Connect request its own
 * parameters and `id_token_hint`.
 */
export function authorize(ctx: Context, input: ParamsInput): ResultAsync<AuthorizationRequest, OAuthError> {
  const params = normalizeParams(input);
  const clientId = single(params, 'client_id');
  if (clientId.isErr()) return errAsync(clientId.error);
  const id = clientId.value;
  if (id === undefined) return errAsync(oauthError('invalid_request', 'The client_id parameter is missing.'));
  return new ResultAsync(
    (async () => {
      const found = await tryPort('ClientStore.findClient', () => ctx.clients.findClient(id));
      return found.isErr() ? err(found.error) : validate(ctx, params, found.value);
    })(),
  );
}

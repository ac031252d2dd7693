/**
 * Dynamic client registration (RFC 7591) and its management protocol (RFC
 * 7592): clients register themselves, then read, change and delete their
 * registration with the registration access token they were given.
 *
 * @module
 */
import { err, ok, type Result } from 'neverthrow';
import { clientRecordSchema } from '../config.ts';
import { base64url, sha256Base64url } from '../crypto.ts';
import { type OAuthError, type OAuthErrorOf, oauthError } from '../errors.ts';
import { matchesDigest } from '../lib/client-authentication.ts';
import type { Context } from '../lib/context.ts';
import { type Outcome, tryPort } from '../lib/port.ts';
import type { ClientRecord } from '../ports.ts';
import {
  type ClientMetadataFields,
  clientFieldsFromMetadata,
  metadataOfClient,
  offeredScopes,
} from '../rules/client-metadata.ts';
import { generateClientSecret } from '../secrets.ts';

/** A registration being decided: what the client asked for, as the record it would become. */
export interface RegistrationProposal {
  /** `register` for a new client (RFC 7591), `update` for a change (RFC 7592). */
  readonly operation: 'register' | 'update';
  /** The checked client, as it would be stored (no secret, no registration access token). */
  readonly client: Readonly<ClientMetadataFields> & { readonly id: string };
  /** The metadata exactly as the client sent it (a parsed JSON object): read it, never store it. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The initial access token the registration came with, when it came with one. */
  readonly initialAccessToken?: string;
}

/**
 * The host's decision on a registration: allow it as proposed, allow it
 * adjusted (fewer scopes, another name, `requirePkce`...: the fields are
 * checked again), or refuse it with an RFC 7591 error.
 */
export type RegistrationDecision =
  | { readonly allow: true; readonly client?: ClientMetadataFields }
  | {
      readonly allow: false;
      /** Default `invalid_client_metadata`. */
      readonly error?: 'invalid_client_metadata' | 'invalid_redirect_uri' | 'unapproved_software_statement';
      /** ASCII, shown to the client. */
      readonly description?: string;
    };

/** The host's policy hook: decides every registration and every update. */
export type RegistrationPolicy = (
  proposal: RegistrationProposal,
) => RegistrationDecision | Promise<RegistrationDecision>;

/** A change to the registered clients, for the host's audit log. */
export interface ClientEvent {
  readonly type: 'client.registered' | 'client.updated' | 'client.deleted';
  readonly clientId: string;
  /** When it happened (ms since the epoch, by the server's clock). */
  readonly at: number;
}

/**
 * Dynamic client registration, as {@link AuthorizationServerOptions.registration} turns it on.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591
 * @see https://www.rfc-editor.org/rfc/rfc7592
 */
export interface RegistrationOptions {
  /**
   * Protected registration (RFC 7591 section 3): a registration must carry
   * an initial access token this check accepts (`Authorization: Bearer`).
   * Absent: open registration, anyone may register (rate limit it at the HTTP layer).
   */
  readonly initialAccessToken?: (token: string) => boolean | Promise<boolean>;
  /** Decides every registration and update; default: allow what the rules allow. */
  readonly policy?: RegistrationPolicy;
  /** Hears of every registration, update and deletion; awaited, and a failure fails the request. */
  readonly onClientEvent?: (event: ClientEvent) => void | Promise<void>;
}

/** A registration request (RFC 7591 section 3.1). */
export interface RegistrationRequest {
  /** The request body, parsed as JSON. */
  readonly metadata: unknown;
  /** The bearer token the request came with, if any (the initial access token). */
  readonly initialAccessToken?: string;
}

/**
 * The client information response (RFC 7591 section 3.2.1, RFC 7592
 * section 3): the client's metadata and credentials, as JSON.
 */
export type ClientInformation = Readonly<Record<string, unknown>> & {
  readonly client_id: string;
  readonly registration_access_token: string;
  readonly registration_client_uri: string;
};

const invalidToken = (): OAuthErrorOf<'invalid_token'> =>
  oauthError('invalid_token', 'The registration access token is not valid for this client.');

function optionsOf(ctx: Context): RegistrationOptions | undefined {
  return ctx.registration;
}

/** The client configuration endpoint of a client (RFC 7592 section 2). */
export function registrationClientUri(ctx: Context, clientId: string): string {
  const base = ctx.config.issuer.replace(/\/+$/, '');
  return `${base}${ctx.config.endpoints.registration}/${encodeURIComponent(clientId)}`;
}

async function deliver(ctx: Context, event: ClientEvent): Promise<OAuthError | undefined> {
  const listener = optionsOf(ctx)?.onClientEvent;
  if (listener === undefined) return undefined;
  const delivered = await tryPort('onClientEvent', async () => listener(event));
  return delivered.isErr() ? delivered.error : undefined;
}

/** Checks metadata, then lets the host's policy decide. */
async function decide(
  ctx: Context,
  operation: 'register' | 'update',
  clientId: string,
  metadata: unknown,
  initialAccessToken: string | undefined,
): Outcome<ClientMetadataFields> {
  const fields = clientFieldsFromMetadata(
    metadata,
    { scopes: offeredScopes(ctx.config.scopes, ctx.signer !== undefined) },
    'registration',
  );
  if (fields.isErr()) return err(fields.error);
  const policy = optionsOf(ctx)?.policy;
  if (policy === undefined) return ok(fields.value);
  const decided = await tryPort('RegistrationPolicy', async () =>
    policy({
      operation,
      client: { id: clientId, ...fields.value },
      metadata: metadata as Record<string, unknown>,
      ...(initialAccessToken === undefined ? {} : { initialAccessToken }),
    }),
  );
  if (decided.isErr()) return err(decided.error);
  const decision = decided.value;
  if (!decision.allow) {
    return err(
      oauthError(
        decision.error ?? 'invalid_client_metadata',
        asciiOr(decision.description, 'The registration was refused by policy.'),
      ),
    );
  }
  return ok(decision.client ?? fields.value);
}

/** The host's text when it is short printable ASCII, else the fallback (descriptions are ASCII). */
function asciiOr(text: string | undefined, fallback: string): string {
  return text !== undefined && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,200}$/.test(text) ? text : fallback;
}

/** A record the schema accepts, or `server_error` naming what the policy broke. */
function checkedRecord(record: ClientRecord): Result<ClientRecord, OAuthError> {
  const parsed = clientRecordSchema.safeParse(record);
  if (parsed.success) return ok(record);
  return err(
    oauthError('invalid_client_metadata', 'The registration cannot be stored as adjusted.', {
      detail: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    }),
  );
}

/** A new registration access token, and the hash stored in its place. */
async function newRegistrationToken(ctx: Context): Promise<{ token: string; hash: string }> {
  const token = `kbr_${base64url(ctx.crypto.randomBytes(32))}`;
  return { token, hash: await sha256Base64url(ctx.crypto, token) };
}

function information(
  ctx: Context,
  client: ClientRecord,
  token: string,
  secret: string | undefined,
): ClientInformation {
  return {
    client_id: client.id,
    ...(secret === undefined ? {} : { client_secret: secret }),
    ...(client.registration === undefined ? {} : { client_id_issued_at: client.registration.issuedAt }),
    ...(client.tokenEndpointAuthMethod === 'none' ? {} : { client_secret_expires_at: 0 }),
    ...metadataOfClient(client),
    registration_access_token: token,
    registration_client_uri: registrationClientUri(ctx, client.id),
  };
}

/**
 * Registers a client (RFC 7591 section 3): checks the metadata, asks the
 * host's policy, stores the client with a fresh `client_id`, the hash of a
 * new secret (confidential clients) and of a registration access token, and
 * answers with both in clear, once.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
 */
export async function registerClient(ctx: Context, request: RegistrationRequest): Outcome<ClientInformation> {
  const options = optionsOf(ctx);
  const store = ctx.clients;
  if (options === undefined || store.registerClient === undefined) {
    return err(oauthError('registration_not_supported', 'Client registration is not enabled.'));
  }
  if (options.initialAccessToken !== undefined) {
    const presented = request.initialAccessToken;
    if (presented === undefined) {
      return err(oauthError('invalid_token', 'Registration requires an initial access token.'));
    }
    const check = options.initialAccessToken;
    const accepted = await tryPort('initialAccessToken', async () => check(presented));
    if (accepted.isErr()) return err(accepted.error);
    if (accepted.value !== true)
      return err(oauthError('invalid_token', 'The initial access token is not valid.'));
  }
  const clientId = `kbc_${base64url(ctx.crypto.randomBytes(16))}`;
  const fields = await decide(ctx, 'register', clientId, request.metadata, request.initialAccessToken);
  if (fields.isErr()) return err(fields.error);

  const now = ctx.clock.now();
  const secret =
    fields.value.tokenEndpointAuthMethod === 'none' ? undefined : await generateClientSecret(ctx.crypto);
  const registrationToken = await newRegistrationToken(ctx);
  const record = checkedRecord({
    ...fields.value,
    id: clientId,
    ...(secret === undefined ? {} : { secretHash: secret.secretHash }),
    registration: { accessTokenHash: registrationToken.hash, issuedAt: Math.floor(now / 1000) },
  });
  if (record.isErr()) return err(record.error);
  const stored = await tryPort('ClientStore.registerClient', () =>
    (store.registerClient as NonNullable<typeof store.registerClient>).call(store, record.value),
  );
  if (stored.isErr()) return err(stored.error);
  if (stored.value.status !== 'registered') {
    // 128 random bits collided: a broken random source, never a client's doing.
    return err(
      oauthError('server_error', 'The client could not be registered.', { detail: 'client_id collision' }),
    );
  }
  const failed = await deliver(ctx, { type: 'client.registered', clientId, at: now });
  if (failed !== undefined) {
    // The host did not hear of it: the client must not exist.
    const undone = await tryPort('ClientStore.deleteClient', async () => store.deleteClient?.(clientId));
    if (undone.isOk()) return err(failed);
    const detail = `${failed.detail ?? failed.description} (and the registration could not be undone: ${undone.error.detail ?? undone.error.description})`;
    return err({ ...failed, detail });
  }
  return ok(information(ctx, record.value, registrationToken.token, secret?.secret));
}

/** The registered client whose registration access token this is; `invalid_token` otherwise. */
async function authorizedClient(
  ctx: Context,
  clientId: string,
  token: string | undefined,
): Outcome<ClientRecord> {
  if (optionsOf(ctx) === undefined) {
    return err(oauthError('registration_not_supported', 'Client registration is not enabled.'));
  }
  if (token === undefined || token.length > 512) return err(invalidToken());
  const found = await tryPort('ClientStore.findClient', () => ctx.clients.findClient(clientId));
  if (found.isErr()) return err(found.error);
  const client = found.value;
  const same = await matchesDigest(ctx, token, client?.registration?.accessTokenHash);
  if (same.isErr()) return err(same.error);
  // RFC 7592 section 2: an unknown client is answered like a bad token, so ids cannot be probed.
  return client === undefined || !same.value ? err(invalidToken()) : ok(client);
}

/**
 * Rotates the registration access token and stores `client` with its hash:
 * every read and update answers with a new token (RFC 7592 section 3
 * requires one in the response, and only its hash is kept); the previous
 * token stops working.
 */
async function storeWithNewToken(
  ctx: Context,
  client: ClientRecord,
): Outcome<{ client: ClientRecord; token: string }> {
  const store = ctx.clients;
  if (store.updateClient === undefined) {
    return err(oauthError('registration_not_supported', 'This client store cannot change clients.'));
  }
  const registrationToken = await newRegistrationToken(ctx);
  const record: ClientRecord = {
    ...client,
    registration: {
      accessTokenHash: registrationToken.hash,
      issuedAt: client.registration?.issuedAt ?? Math.floor(ctx.clock.now() / 1000),
    },
  };
  const updated = await tryPort('ClientStore.updateClient', () =>
    (store.updateClient as NonNullable<typeof store.updateClient>).call(store, record),
  );
  if (updated.isErr()) return err(updated.error);
  if (updated.value.status !== 'updated') return err(invalidToken());
  return ok({ client: record, token: registrationToken.token });
}

/**
 * Reads a registration (RFC 7592 section 2.1), rotating the registration
 * access token.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.1
 */
export async function readClient(
  ctx: Context,
  clientId: string,
  token: string | undefined,
): Outcome<ClientInformation> {
  const client = await authorizedClient(ctx, clientId, token);
  if (client.isErr()) return err(client.error);
  const stored = await storeWithNewToken(ctx, client.value);
  if (stored.isErr()) return err(stored.error);
  return ok(information(ctx, stored.value.client, stored.value.token, undefined));
}

/**
 * Replaces a registration's metadata (RFC 7592 section 2.2): the request
 * holds the whole metadata with `client_id`; a `client_secret`, if sent,
 * must be the client's. Fields the client leaves out are removed. The
 * client keeps its id and secret; the registration access token rotates.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.2
 */
export async function updateClient(
  ctx: Context,
  clientId: string,
  token: string | undefined,
  metadata: unknown,
): Outcome<ClientInformation> {
  const client = await authorizedClient(ctx, clientId, token);
  if (client.isErr()) return err(client.error);
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return err(oauthError('invalid_client_metadata', 'The client metadata must be a JSON object.'));
  }
  const body = metadata as Record<string, unknown>;
  if (body.client_id !== clientId) {
    return err(oauthError('invalid_request', 'client_id must be the client being updated.'));
  }
  const current = client.value;
  if (body.client_secret !== undefined) {
    const secret = body.client_secret;
    const same =
      typeof secret === 'string' && secret.length <= 512
        ? await matchesDigest(ctx, secret, current.secretHash)
        : ok(false);
    if (same.isErr()) return err(same.error);
    if (!same.value) {
      return err(oauthError('invalid_request', 'client_secret does not match the registered secret.'));
    }
  }
  // registration_access_token, registration_client_uri and the timestamps, if sent, are ignored (section 2.2).
  const fields = await decide(ctx, 'update', clientId, metadata, undefined);
  if (fields.isErr()) return err(fields.error);
  if ((fields.value.tokenEndpointAuthMethod === 'none') !== (current.tokenEndpointAuthMethod === 'none')) {
    return err(
      oauthError(
        'invalid_client_metadata',
        'A client cannot change between public and confidential; register anew.',
      ),
    );
  }
  const record = checkedRecord({
    ...fields.value,
    id: current.id,
    ...(current.secretHash === undefined ? {} : { secretHash: current.secretHash }),
    ...(current.registration === undefined ? {} : { registration: current.registration }),
  });
  if (record.isErr()) return err(record.error);
  const stored = await storeWithNewToken(ctx, record.value);
  if (stored.isErr()) return err(stored.error);
  const failed = await deliver(ctx, { type: 'client.updated', clientId: current.id, at: ctx.clock.now() });
  if (failed !== undefined) return err(failed);
  return ok(information(ctx, stored.value.client, stored.value.token, undefined));
}

/**
 * Deletes a registration (RFC 7592 section 2.3). Its tokens stop working
 * with it: every token request authenticates the client, and introspection
 * of its access tokens finds no client.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7592#section-2.3
 */
export async function deleteClient(ctx: Context, clientId: string, token: string | undefined): Outcome<void> {
  const client = await authorizedClient(ctx, clientId, token);
  if (client.isErr()) return err(client.error);
  const store = ctx.clients;
  if (store.deleteClient === undefined) {
    return err(oauthError('registration_not_supported', 'This client store cannot delete clients.'));
  }
  const deleted = await tryPort('ClientStore.deleteClient', () =>
    (store.deleteClient as NonNullable<typeof store.deleteClient>).call(store, client.value.id),
  );
  if (deleted.isErr()) return err(deleted.error);
  if (deleted.value.status !== 'deleted') return err(invalidToken());
  const failed = await deliver(ctx, {
    type: 'client.deleted',
    clientId: client.value.id,
    at: ctx.clock.now(),
  });
  return failed === undefined ? ok(undefined) : err(failed);
}

import {
  type AuthorizationRequest,
  type AuthorizationServer,
  base64url,
  type Clock,
  type CryptoPort,
  type Denial,
  type InteractionLimits,
  type InteractionRecord,
  type InteractionStore,
  type OAuthError,
  sha256Base64url,
  systemClock,
  webCrypto,
} from '@kraikub/core';
import { failureOf, statusOf } from './lib/status.ts';

/** The host's decision about a pending authorization request. */
export type Decision =
  | {
      readonly type: 'approve';
      /** The authenticated user's stable id. */
      readonly subject: string;
      /** Granted scopes (the requested ones, or fewer). Default: all requested. */
      readonly scopes?: readonly string[];
      /**
       * When the user authenticated (ms since the epoch): the ID Token's
       * `auth_time`; required to answer an OpenID Connect request with
       * `max_age` or `prompt=login`.
       */
      readonly authTime?: number;
      /** The Authentication Context Class Reference satisfied (`acr`). */
      readonly acr?: string;
      /** The Authentication Methods References used (`amr`: `pwd`, `otp`, `mfa`...). */
      readonly amr?: readonly string[];
    }
  | {
      readonly type: 'deny';
      readonly description?: string;
      /**
       * `access_denied` (the default: the user said no), or, for
       * `prompt=none`, why no answer was possible without a page.
       */
      readonly error?: Denial;
    };

/** Where the user agent goes after a decision. */
export interface Completion {
  /** The redirect URL (the client's redirect URI with `code` or `error`, `state` and `iss`). */
  readonly location: string;
  /** The grant an approval created: keep it to revoke the grant when the user withdraws consent. */
  readonly grantId?: string;
  /** The request that was completed. */
  readonly request: AuthorizationRequest;
}

/** Why an interaction could not be completed. */
export type InteractionFailure =
  | { readonly kind: 'not_found' }
  | {
      readonly kind: 'failed';
      readonly status: number;
      readonly error: string;
      readonly description: string;
    };

/** The default caps on pending interactions (see {@link InteractionsOptions.limits}). */
export const defaultInteractionLimits: InteractionLimits = { total: 10_000, perSource: 100 };

/** An interaction that could not complete, as the status table answers it. */
function failed(error: OAuthError): InteractionFailure {
  return { kind: 'failed', status: statusOf(error), error: error.error, description: error.description };
}

/** Options of {@link createInteractions}. */
export interface InteractionsOptions {
  /** Where pending requests wait (adapter-memory, adapter-redis). */
  readonly store: InteractionStore;
  /** How long a user has to log in and consent. Default 600 s. */
  readonly ttlSeconds?: number;
  /**
   * Caps on pending interactions, which anyone can create with an
   * unauthenticated `GET /authorize`: at most `total` at once (default
   * 10 000), and `perSource` per source (default 100; the source is the
   * client address unless the handler's `sourceOf` says otherwise). A
   * completed or expired interaction frees its place. Past a cap the
   * authorization endpoint answers 503 (total) or 429 (per source).
   */
  readonly limits?: Partial<InteractionLimits>;
  readonly clock?: Clock;
  readonly crypto?: CryptoPort;
}

/**
 * Pending authorization requests, parked server-side while the user logs in
 * and consents. The browser carries only an opaque interaction id (256
 * random bits); the store keeps the request under the id's SHA-256, so the
 * reference cannot be forged or altered, and it expires. Completing it is
 * single-use. `complete` never throws: a store failure is a `failed` result.
 */
export interface Interactions {
  /**
   * Parks a validated request and returns the interaction id to put in the
   * host's login form; or, when a cap on pending interactions is reached,
   * which one (nothing is stored then). A failing store rejects.
   */
  start(
    request: AuthorizationRequest,
    context?: { readonly source?: string | undefined },
  ): Promise<StartResult>;
  /** The pending request (to show on a consent screen), or `undefined` if unknown or expired. */
  find(interactionId: string): Promise<AuthorizationRequest | undefined>;
  /** Completes the interaction once: issues the code (or the denial) and says where to redirect. */
  complete(interactionId: string, decision: Decision): Promise<Completion | InteractionFailure>;
}

/** What {@link Interactions.start} gives back. */
export type StartResult =
  | { readonly ok: true; readonly interactionId: string }
  | { readonly ok: false; readonly limit: 'total' | 'source' };

const idPattern = /^[A-Za-z0-9_-]{43}$/;

function limitOf(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 1) {
    throw new TypeError(`createInteractions: limits.${name} must be a positive integer`);
  }
  return result;
}

/**
 * Creates the interaction manager the handler and the host share.
 *
 * @example
 * ```ts
 * import { createInteractions } from '@kraikub/adapter-http';
 * import { MemoryInteractionStore } from '@kraikub/adapter-memory';
 * import type { AuthorizationServer } from '@kraikub/core';
 * declare const server: AuthorizationServer;
 *
 * const interactions = createInteractions(server, { store: new MemoryInteractionStore() });
 * // The host's POST /login route, after checking the password:
 * async function loggedIn(form: FormData, user: { id: string }): Promise<Response> {
 *   const interactionId = String(form.get('interaction'));
 *   const done = await interactions.complete(interactionId, { type: 'approve', subject: user.id });
 *   if ('location' in done) return Response.redirect(done.location, 303);
 *   if (done.kind === 'not_found') return new Response('This sign-in request has expired.', { status: 400 });
 *   return new Response(done.description, { status: done.status }); // nothing was issued
 * }
 * ```
 */
export function createInteractions(server: AuthorizationServer, options: InteractionsOptions): Interactions {
  const store = options.store;
  const clock = options.clock ?? systemClock;
  const crypto = options.crypto ?? webCrypto;
  const ttlMs = (options.ttlSeconds ?? 600) * 1000;
  const limits: InteractionLimits = {
    total: limitOf(options.limits?.total, defaultInteractionLimits.total, 'total'),
    perSource: limitOf(options.limits?.perSource, defaultInteractionLimits.perSource, 'perSource'),
  };
  const keyOf = (id: string) => sha256Base64url(crypto, `interaction:${id}`);

  return {
    async start(request, context) {
      const id = base64url(crypto.randomBytes(32));
      const now = clock.now();
      const given = context?.source;
      // A digest: fixed length whatever the host passes (a proxy header can be anything).
      const source =
        typeof given === 'string' && given !== ''
          ? await sha256Base64url(crypto, `source:${given}`)
          : undefined;
      const record: InteractionRecord =
        source === undefined
          ? { request, createdAt: now, expiresAt: now + ttlMs }
          : { request, createdAt: now, expiresAt: now + ttlMs, source };
      const saved = await store.saveInteraction(await keyOf(id), record, limits);
      return saved.status === 'saved' ? { ok: true, interactionId: id } : { ok: false, limit: saved.limit };
    },
    async find(interactionId) {
      if (typeof interactionId !== 'string' || !idPattern.test(interactionId)) return undefined;
      return (await store.findInteraction(await keyOf(interactionId)))?.request;
    },
    async complete(interactionId, decision) {
      if (typeof interactionId !== 'string' || !idPattern.test(interactionId)) return { kind: 'not_found' };
      let record: InteractionRecord | undefined;
      try {
        record = await store.consumeInteraction(await keyOf(interactionId));
      } catch (cause) {
        // A store failure is the server's problem, never the user's: nothing was issued.
        return failed(failureOf(cause, 'InteractionStore.consumeInteraction'));
      }
      if (record === undefined) return { kind: 'not_found' };
      if (decision.type === 'deny') {
        const { url } = server.deny(record.request, decision.description, decision.error);
        return { location: url, request: record.request };
      }
      const { type: _, ...approval } = decision;
      const result = await server.approve(record.request, approval);
      if (result.isOk()) {
        const { url, grantId } = result.value;
        return grantId === undefined
          ? { location: url, request: record.request }
          : { location: url, grantId, request: record.request };
      }
      // An error for the client (login_required, say) goes back to it; the rest is a page.
      const back = server.errorResponse(result.error);
      return back === undefined ? failed(result.error) : { location: back.url, request: record.request };
    },
  };
}

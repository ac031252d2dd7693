/**
 * What the runner and a target process say to each other over the Node IPC
 * channel. Control traffic never goes through the HTTP server being measured,
 * so no target pays for an extra route.
 */

/**
 * The kinds of work measured at the token endpoint: the code exchange, the
 * rotating refresh, and the code exchange of an OpenID Connect grant (scope
 * `openid` and a nonce: the response carries an ID Token signed for it).
 */
export type Work = 'exchange' | 'refresh' | 'exchange-openid';

/** Every work, in report order. */
export const allWorks: readonly Work[] = ['exchange', 'refresh', 'exchange-openid'];

/** A code exchange (plain or OpenID Connect): the credential is a code, sent with its `redirect_uri`. */
export const isExchange = (work: Work): boolean => work !== 'refresh';

/** How to call a target's token endpoint. */
export interface Endpoint {
  readonly port: number;
  /** Path of the token endpoint. */
  readonly path: string;
  /** Client registered for `client_secret_basic`. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** The redirect URI the codes were issued for (sent with each exchange). */
  readonly redirectUri: string;
}

/** Runner to target. */
export type Command =
  | { readonly type: 'mint'; readonly id: number; readonly work: Work; readonly count: number }
  /** Start the V8 CPU profiler (the one behind `--cpu-prof`), or stop it and write `file`. */
  | {
      readonly type: 'profile';
      readonly id: number;
      readonly action: 'start' | 'stop';
      readonly file: string;
    };

/** Target to runner. */
export type Message =
  | ({ readonly type: 'ready' } & Endpoint)
  | { readonly type: 'unavailable'; readonly reason: string }
  | { readonly type: 'minted'; readonly id: number; readonly items: readonly string[] }
  | { readonly type: 'profiled'; readonly id: number }
  | { readonly type: 'failed'; readonly id?: number; readonly reason: string };

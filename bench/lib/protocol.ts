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

/**
 * The Node a target runs on: the runner's own (the machine's Node, 20 here)
 * by default, or `'22'`, the `node` npm package's Node 22 (a peer whose
 * newest release needs it).
 */
export type Runtime = '22';

/**
 * What the heap did over a measured window, from `v8.GCProfiler`: every
 * garbage collection's heap before and after, and the used heap at both ends.
 */
export interface WindowStats {
  /** Bytes allocated on the V8 heap: Σ(used before − used after) over the collections + the used heap's growth. */
  readonly allocatedBytes: number;
  /** Garbage collections during the window. */
  readonly gcCount: number;
  /** Their total cost (pause time on the main thread), µs. */
  readonly gcMicros: number;
}

/**
 * A target's store counters at one instant (a window's figures are the
 * difference of two), and the store's processes to sample CPU from.
 */
export interface StoreStats {
  /**
   * Monotonic counters: `roundTrips` (commands or statements the target
   * sent its store), and whatever else the store can tell (`redisCommands`
   * from Redis's `INFO commandstats`).
   */
  readonly counters: Readonly<Record<string, number>>;
  /** Processes of the store serving this target now (PostgreSQL backends of the pool's connections). */
  readonly pids: readonly number[];
}

/** Runner to target. */
export type Command =
  | { readonly type: 'mint'; readonly id: number; readonly work: Work; readonly count: number }
  /** Start watching the heap for a window (`v8.GCProfiler`), or stop and answer {@link WindowStats}. */
  | { readonly type: 'heap'; readonly id: number; readonly action: 'start' | 'stop' }
  /** Answer the store's {@link StoreStats} now. */
  | { readonly type: 'stats'; readonly id: number }
  /** Start the V8 CPU profiler (the one behind `--cpu-prof`), or stop it and write `file`. */
  | {
      readonly type: 'profile';
      readonly id: number;
      readonly action: 'start' | 'stop';
      readonly file: string;
    };

/** Target to runner. */
export type Message =
  | ({
      readonly type: 'ready';
      /** `process.version` of the target. */
      readonly node?: string;
      /** Processes of a store the target started for itself (its private `redis-server`). */
      readonly storePids?: readonly number[];
    } & Endpoint)
  | { readonly type: 'unavailable'; readonly reason: string }
  | { readonly type: 'minted'; readonly id: number; readonly items: readonly string[] }
  | { readonly type: 'profiled'; readonly id: number }
  /** The answer to `heap` (stop: {@link WindowStats}; start: nothing) or `stats` ({@link StoreStats}). */
  | { readonly type: 'answer'; readonly id: number; readonly value: WindowStats | StoreStats | undefined }
  | { readonly type: 'failed'; readonly id?: number; readonly reason: string };

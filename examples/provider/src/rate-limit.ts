import type { AppStore } from './store/app-store.ts';

/**
 * Failed-login limiter: at most `max` failures per key in a window, counted
 * in the app's store (so every provider process counts together). Keys are
 * `account:<name>` and `ip:<address>`, so neither guessing one password
 * across many accounts nor many passwords on one account scales.
 */
export class LoginLimiter {
  readonly #store: AppStore;
  readonly #max: number;
  readonly #windowMs: number;

  constructor(store: AppStore, max: number, windowMs: number) {
    this.#store = store;
    this.#max = max;
    this.#windowMs = windowMs;
  }

  /** True when `key` may try again now. */
  async allowed(key: string): Promise<boolean> {
    return ((await this.#store.get<number>(`fail:${key}`)) ?? 0) < this.#max;
  }

  async fail(key: string): Promise<void> {
    await this.#store.increment(`fail:${key}`, this.#windowMs);
  }

  async reset(key: string): Promise<void> {
    await this.#store.delete(`fail:${key}`);
  }
}

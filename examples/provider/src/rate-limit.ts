/**
 * Failed-login limiter: at most `max` failures per key in a sliding window.
 * Keys are `account:<name>` and `ip:<address>`, so neither guessing one
 * password across many accounts nor many passwords on one account scales.
 */
export class LoginLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** True when `key` may try again now. */
  allowed(key: string, now = Date.now()): boolean {
    return this.#recent(key, now).length < this.max;
  }

  fail(key: string, now = Date.now()): void {
    const recent = this.#recent(key, now);
    recent.push(now);
    this.#failures.set(key, recent);
    if (this.#failures.size > 10_000) {
      for (const [k, times] of this.#failures)
        if ((times.at(-1) ?? 0) <= now - this.windowMs) this.#failures.delete(k);
    }
  }

  reset(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    return (this.#failures.get(key) ?? []).filter((time) => time > now - this.windowMs);
  }
}

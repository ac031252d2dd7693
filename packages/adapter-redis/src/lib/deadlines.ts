/**
 * Command deadlines in slots: every command sent within one slot (a tenth
 * of the time limit) shares an `AbortController` and a timer, instead of
 * each command making its own controller, signal and timer (the largest
 * cost of a command on the client's side after the socket itself).
 *
 * @module
 */

/**
 * A command waiting for its reply: how to fail it when its slot's time is
 * up, dropped once it settles (so a settled command's promise and reply are
 * not kept alive until its slot expires).
 */
interface Waiter {
  fail: (() => void) | undefined;
}

/** The commands sent in one slot, and what they share. */
interface Slot {
  /** When the slot stops taking commands (`performance.now()` time). */
  readonly closesAt: number;
  readonly controller: AbortController;
  readonly waiters: Waiter[];
}

/**
 * Time limits for commands, a slot at a time. A command started in a slot
 * that opened at `t` gets the slot's `AbortSignal`; at `t + width + limit`
 * the slot's one timer aborts that signal (node-redis drops every command
 * of it not written yet) and fails every command of it still waiting. So a
 * command fails after at least `limit` ms and at most `limit + width` ms
 * (`width` is a tenth of `limit`), and nothing it does afterwards reaches
 * its caller.
 *
 * @example
 * ```ts
 * // Internal, from this module:
 * declare class DeadlineSlots {
 *   constructor(limitMs: number);
 *   run<T>(send: (signal: AbortSignal) => Promise<T>, onTimeout: () => Error): Promise<T>;
 * }
 * declare function send(signal: AbortSignal): Promise<string>;
 * const deadlines = new DeadlineSlots(1000);
 * const reply = await deadlines.run(send, () => new Error('timed out after 1000 ms'));
 * ```
 */
export class DeadlineSlots {
  readonly #limit: number;
  readonly #width: number;
  #slot: Slot | undefined;

  constructor(limitMs: number) {
    this.#limit = limitMs;
    this.#width = Math.max(1, limitMs / 10);
  }

  /**
   * Sends through `send` with the current slot's signal and settles as the
   * command does, or rejects with `onTimeout()` when the slot's time is up
   * first.
   */
  run<T>(send: (signal: AbortSignal) => Promise<T>, onTimeout: () => Error): Promise<T> {
    const slot = this.#current();
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = { fail: () => reject(onTimeout()) };
      slot.waiters.push(waiter);
      send(slot.controller.signal).then(
        (value) => {
          if (waiter.fail === undefined) return;
          waiter.fail = undefined;
          resolve(value);
        },
        (error: unknown) => {
          if (waiter.fail === undefined) return;
          waiter.fail = undefined;
          reject(error);
        },
      );
    });
  }

  /** The slot taking commands now: a new one when the last has closed. */
  #current(): Slot {
    const now = performance.now();
    const open = this.#slot;
    if (open !== undefined && now < open.closesAt) return open;
    const slot: Slot = { closesAt: now + this.#width, controller: new AbortController(), waiters: [] };
    this.#slot = slot;
    const timer = setTimeout(() => this.#expire(slot), this.#width + this.#limit);
    // The commands' own sockets keep the process alive while they wait; the timer need not.
    (timer as { unref?: () => void }).unref?.();
    return slot;
  }

  /** The slot's time is up: fail what still waits, then drop what was not written. */
  #expire(slot: Slot): void {
    if (this.#slot === slot) this.#slot = undefined;
    for (const waiter of slot.waiters) {
      const fail = waiter.fail;
      if (fail === undefined) continue;
      waiter.fail = undefined;
      fail();
    }
    slot.controller.abort();
  }
}

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { DeadlineSlots } from './deadlines.ts';

describe('DeadlineSlots', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A command that answers only when told to, and the signal it was sent with. */
  const command = () => {
    let answer: (value: string) => void = () => undefined;
    let signal: AbortSignal | undefined;
    const send = (given: AbortSignal) => {
      signal = given;
      return new Promise<string>((resolve) => {
        answer = resolve;
      });
    };
    return { send, answer: (value: string) => answer(value), signal: () => signal as AbortSignal };
  };
  const timeout = () => new Error('timed out');

  test('a command with no answer fails after the limit and at most a tenth more; its signal is aborted', async () => {
    const deadlines = new DeadlineSlots(1_000);
    const hung = command();
    const outcome = deadlines.run(hung.send, timeout).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(hung.signal().aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(101);
    expect(await outcome).toBe('timed out');
    expect(hung.signal().aborted).toBe(true);
  });

  test('commands of one slot share a signal; an answer in time is kept, a late one is not seen', async () => {
    const deadlines = new DeadlineSlots(1_000);
    const quick = command();
    const slow = command();
    const first = deadlines.run(quick.send, timeout);
    await vi.advanceTimersByTimeAsync(50);
    const second = deadlines.run(slow.send, timeout).catch((error: Error) => error.message);
    expect(slow.signal()).toBe(quick.signal());
    quick.answer('OK');
    expect(await first).toBe('OK');
    await vi.advanceTimersByTimeAsync(1_050);
    expect(await second).toBe('timed out');
    slow.answer('too late');
    await vi.advanceTimersByTimeAsync(0);
    expect(await second).toBe('timed out');
  });

  test('a new slot opens after a tenth of the limit, with its own signal and time', async () => {
    const deadlines = new DeadlineSlots(1_000);
    const early = command();
    const late = command();
    const a = deadlines.run(early.send, timeout).catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(100);
    const b = deadlines.run(late.send, timeout).catch((error: Error) => error.message);
    expect(late.signal()).not.toBe(early.signal());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await a).toBe('timed out');
    expect(late.signal().aborted).toBe(false);
    late.answer('in time');
    expect(await b).toBe('in time');
  });

  test('a rejection is passed on as it is', async () => {
    const deadlines = new DeadlineSlots(1_000);
    const refused = new Error('ECONNREFUSED');
    await expect(deadlines.run(() => Promise.reject(refused), timeout)).rejects.toBe(refused);
  });
});

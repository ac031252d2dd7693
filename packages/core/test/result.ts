import type { Result } from 'neverthrow';

/** The ok value of a Result, or a thrown error saying what came instead. */
export function okValue<T, E>(result: Result<T, E>): T {
  if (result.isErr()) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}

/** The error of a Result, or a thrown error saying what came instead. */
export function errValue<T, E>(result: Result<T, E>): E {
  if (result.isOk()) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

/**
 * A copy of `text` that shares no memory with it.
 *
 * V8 keeps a substring as a view into its parent (a "sliced string"), and the
 * view keeps the whole parent alive. A grant id cut from a presented token is
 * a view into the request body; stored in a record, it would keep the body,
 * and every token and secret in it, alive as long as the record (30 days for
 * a refresh token). Prepending a character and slicing it off again makes the
 * engine flatten the pair into a fresh string first: the result points into
 * that copy, never into the request. Other engines just copy or share
 * immutable text, which is harmless.
 *
 * Core detaches every request-derived string it hands a store; a store may
 * keep what it is given as it is.
 */
export function detached(text: string): string {
  return ` ${text}`.slice(1);
}

/**
 * The strings of `wanted` as `from` holds them (each must be in `from`):
 * scopes parsed from a request are replaced by the registered ones, so a
 * record never holds a piece of a request.
 */
export function canonical(wanted: readonly string[], from: readonly string[]): string[] {
  return wanted.map((value) => from[from.indexOf(value)] as string);
}

/** True when `text` is 1 or more base64url characters (no padding); no regular expression on secrets. */
export function isBase64url(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x5f;
    if (!ok) return false;
  }
  return true;
}

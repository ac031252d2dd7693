import { err, ok, type Result } from 'neverthrow';
import { type OAuthErrorOf, oauthError } from './errors.ts';

/**
 * Request parameters as an adapter hands them over: a `URLSearchParams`, a
 * list of name/value pairs, or a record whose array values are repeated
 * parameters. Keeping repeats visible lets core reject them (RFC 6749 section 3.1).
 */
export type ParamsInput =
  | URLSearchParams
  | Iterable<readonly [string, string]>
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Parameters normalised: every name with every value it was sent with. */
export type Params = ReadonlyMap<string, readonly string[]>;

function add(map: Map<string, string[]>, name: unknown, value: unknown): void {
  if (typeof name !== 'string') return;
  // Anything that is not a string is junk from an untyped caller: treat as an empty value.
  const text = typeof value === 'string' ? value : '';
  const list = map.get(name);
  if (list === undefined) map.set(name, [text]);
  else list.push(text);
}

/**
 * Normalises any {@link ParamsInput} (including junk from untyped callers)
 * into a {@link Params} map. Never throws.
 */
export function normalizeParams(input: unknown): Params {
  const map = new Map<string, string[]>();
  if (input === null || typeof input !== 'object') return map;
  try {
    if (typeof URLSearchParams === 'function' && input instanceof URLSearchParams) {
      // The common case (a parsed form): no [name, value] pair array per entry.
      input.forEach((value, name) => {
        add(map, name, value);
      });
      return map;
    }
    if (Symbol.iterator in input) {
      for (const pair of input as Iterable<unknown>) {
        if (Array.isArray(pair)) add(map, pair[0], pair[1]);
      }
      return map;
    }
    for (const [name, value] of Object.entries(input)) {
      if (Array.isArray(value)) for (const item of value) add(map, name, item);
      else if (value !== undefined) add(map, name, value);
    }
  } catch {
    // A hostile iterable or getter: what was read so far is all there is.
  }
  return map;
}

/**
 * Reads one parameter. Missing or empty is `undefined` (RFC 6749 section 3.1:
 * a parameter sent without a value is treated as omitted); sent more than
 * once is `invalid_request`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export function single(
  params: Params,
  name: string,
): Result<string | undefined, OAuthErrorOf<'invalid_request'>> {
  const values = params.get(name);
  if (values === undefined) return ok(undefined);
  if (values.length > 1) {
    return err(oauthError('invalid_request', `The ${safeName(name)} parameter was sent more than once.`));
  }
  const value = values[0];
  return ok(value === '' ? undefined : value);
}

/** Our own parameter names are safe to name in descriptions; anything else is not echoed. */
function safeName(name: string): string {
  return /^[a-z_]{1,40}$/.test(name) ? name : 'a';
}

/** The names, among `names`, that were sent more than once. */
export function repeated(params: Params, names: readonly string[]): string | undefined {
  return names.find((name) => (params.get(name)?.length ?? 0) > 1);
}

/**
 * The value of a parameter already checked for repeats, or `undefined` when
 * missing or empty (RFC 6749 section 3.1: a parameter sent without a value is
 * treated as omitted).
 */
export function param(params: Params, name: string): string | undefined {
  return params.get(name)?.[0] || undefined;
}

/**
 * Appends parameters to a redirect URI's query, keeping its own query
 * byte-exact (RFC 6749 section 3.1.2: the query component MUST be retained).
 */
export function appendQuery(uri: string, params: Readonly<Record<string, string | undefined>>): string {
  const query = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(
      ([name, value]) => `${encodeURIComponent(wellFormed(name))}=${encodeURIComponent(wellFormed(value))}`,
    )
    .join('&');
  if (query === '') return uri;
  if (!uri.includes('?')) return `${uri}?${query}`;
  return uri.endsWith('?') || uri.endsWith('&') ? `${uri}${query}` : `${uri}&${query}`;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const loneSurrogates = new RegExp(loneSurrogate.source, 'g');

/** Replaces lone surrogates (which cannot be percent-encoded) with U+FFFD, so encoding never throws. */
function wellFormed(text: string): string {
  return text.replace(loneSurrogates, '\uFFFD');
}

/** True when `text` can be percent-encoded as UTF-8 (no lone surrogates). */
export function isWellFormed(text: string): boolean {
  return !loneSurrogate.test(text);
}

import { type HttpOutput, htmlSecurityHeaders } from './http.ts';

const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => entities[char] ?? char);
}

/** What an error page shows: all of it safe to show (our own codes and descriptions, ASCII). */
export interface ErrorPageContext {
  /** The HTTP status the page is sent with. */
  readonly status: number;
  /** The RFC error code, such as `invalid_request` or `temporarily_unavailable`. */
  readonly error: string;
  /** A plain-ASCII description; never an echo of the request. */
  readonly description: string;
}

/**
 * Renders the body of an error page (HTML). The library sends it with the
 * status, `Content-Type`, `Cache-Control: no-store` and the clickjacking
 * headers itself; escape what you interpolate (see {@link escapeHtml}).
 */
export type ErrorPageRenderer = (context: ErrorPageContext) => string;

/** The library's own page: plain, unbranded, safe. */
export const defaultErrorPage: ErrorPageRenderer = ({ error, description }) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorization error</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}</style>
</head>
<body>
<h1>The request could not be completed</h1>
<p>${escapeHtml(description)}</p>
<p>Error: <code>${escapeHtml(error)}</code></p>
<p>Return to the application you came from and try again.</p>
</body>
</html>
`;

/**
 * The page shown for an authorization error that must not be redirected
 * (unknown client, bad redirect URI) and for failures on the way to the
 * host's pages: the host's renderer, or the library's; nothing from the
 * request is echoed but the error code and our own description.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export function errorPage(
  status: number,
  error: string,
  description: string,
  render: ErrorPageRenderer = defaultErrorPage,
  headers: Readonly<Record<string, string>> = {},
): HttpOutput {
  let body: string;
  try {
    body = render({ status, error, description });
    if (typeof body !== 'string') body = defaultErrorPage({ status, error, description });
  } catch {
    // A failing branded page still leaves the user an answer.
    body = defaultErrorPage({ status, error, description });
  }
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...htmlSecurityHeaders, ...headers },
    body,
  };
}

/** The library's page after an RP-initiated logout with nowhere to go back to. */
export function signedOutPage(render?: () => string): HttpOutput {
  let body: string | undefined;
  try {
    body = render?.();
  } catch {
    body = undefined;
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', ...htmlSecurityHeaders },
    body:
      typeof body === 'string'
        ? body
        : `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Signed out</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}</style>
</head>
<body>
<h1>You are signed out</h1>
<p>You can close this window.</p>
</body>
</html>
`,
  };
}

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

/**
 * The page shown for an authorization error that must not be redirected
 * (unknown client, bad redirect URI): plain, safe HTML; nothing from the
 * request is echoed but the error code and our own description.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export function errorPage(status: number, error: string, description: string): HttpOutput {
  const body = `<!doctype html>
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
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...htmlSecurityHeaders }, body };
}

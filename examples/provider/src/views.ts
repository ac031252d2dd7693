/**
 * The provider's pages, as `hono/html` templates: every interpolated value is
 * escaped by the template tag itself (only `raw` content is trusted, and only
 * our own constant markup is).
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const style = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;background:#f4f1ea;color:#1f2328}
main{max-width:26rem;margin:8vh auto;background:#fff;border-radius:14px;padding:2rem 2rem 1.5rem;box-shadow:0 10px 30px #0001}
@media (max-width:30rem){main{margin:0;border-radius:0;min-height:100vh;padding:1.5rem 1.25rem}}
h1{font-size:1.35rem;margin:0 0 .25rem;overflow-wrap:anywhere}p{overflow-wrap:anywhere}p.sub{color:#57606a;margin:0 0 1.5rem}
.brand{font-weight:700;color:#7a3e00;letter-spacing:.02em}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}input[type=text],input[type=password]{width:100%;padding:.6rem .7rem;border:1px solid #d0d7de;border-radius:8px;font:inherit}
button{font:inherit;border:0;border-radius:8px;padding:.65rem 1.1rem;cursor:pointer}.primary{background:#7a3e00;color:#fff}.secondary{background:#eaeef2;color:#1f2328}
.row{display:flex;gap:.75rem;margin-top:1.5rem;flex-wrap:wrap}.row button{flex:1}ul.scopes{padding:0;list-style:none}
ul.scopes li{padding:.6rem .75rem;border:1px solid #eaeef2;border-radius:8px;margin:.4rem 0;overflow-wrap:anywhere}
ul.scopes code{font-weight:600}.error{background:#ffebe9;border:1px solid #ff818266;padding:.6rem .75rem;border-radius:8px}.muted{color:#57606a;font-size:.9rem}
table{width:100%;border-collapse:collapse}td{padding:.4rem 0;border-bottom:1px solid #eaeef2;overflow-wrap:anywhere}code{overflow-wrap:anywhere}`;

/** The frame every page shares: the brand, a mobile viewport, the page's content. */
export function page(title: string, body: Html): Html {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Kraikub</title><style>${style}</style></head><body><main>
<div class="brand">Kraikub</div>
${body}
</main></body></html>`;
}

export function loginPage(options: {
  readonly interaction: string;
  readonly csrf: string;
  readonly clientName?: string | undefined;
  readonly error?: string | undefined;
  readonly username?: string | undefined;
}): Html {
  const who =
    options.clientName === undefined
      ? html`<p class="sub">with your Kraikub account</p>`
      : html`<p class="sub">to continue to <strong>${options.clientName}</strong></p>`;
  return page(
    'Sign in',
    html`<h1>Sign in</h1>${who}
${options.error === undefined ? '' : html`<p class="error" role="alert">${options.error}</p>`}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="interaction" value="${options.interaction}">
<label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" value="${options.username ?? ''}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="row"><button class="primary" type="submit">Sign in</button></div>
</form>`,
  );
}

export function consentPage(options: {
  readonly interaction: string;
  readonly csrf: string;
  readonly clientName: string;
  /** A client identified by its metadata document: its URL, the only part of its identity the name cannot fake. */
  readonly clientUrl?: string | undefined;
  readonly userName: string;
  readonly scopes: readonly { readonly name: string; readonly description: string }[];
  /** The APIs (RFC 8707 resources) the access will be for. */
  readonly resources?: readonly string[];
}): Html {
  const items = options.scopes.map(
    (s) => html`<li><code>${s.name}</code><br><span class="muted">${s.description}</span></li>`,
  );
  const resources = options.resources ?? [];
  const at =
    resources.length === 0
      ? ''
      : html`<p>At: ${resources.map((r, i) => html`${i === 0 ? '' : ', '}<code class="resource">${r}</code>`)}</p>`;
  return page(
    'Allow access',
    html`<h1>${options.clientName} wants to access your account</h1>
<p class="sub">Signed in as <strong>${options.userName}</strong></p>
${options.clientUrl === undefined ? '' : html`<p class="muted">The app describes itself at <code class="client-id">${options.clientUrl}</code>; only continue if you trust <strong>${new URL(options.clientUrl).host}</strong>.</p>`}
<p>This will allow <strong>${options.clientName}</strong> to:</p>
<ul class="scopes">${items}</ul>
${at}
<form method="post" action="/consent">
<input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="interaction" value="${options.interaction}">
<div class="row"><button class="secondary" type="submit" name="decision" value="deny">Deny</button>
<button class="primary" type="submit" name="decision" value="approve">Allow</button></div>
</form>
<p class="muted">You can revoke this at any time on your <a href="/account">account page</a>.</p>`,
  );
}

export function accountPage(options: {
  readonly userName: string;
  readonly csrf: string;
  readonly consents: readonly {
    readonly clientId: string;
    readonly clientName: string;
    readonly scopes: readonly string[];
  }[];
}): Html {
  const rows =
    options.consents.length === 0
      ? html`<p class="muted">You have not allowed any application yet.</p>`
      : html`<table>${options.consents.map(
          (
            c,
          ) => html`<tr><td><strong>${c.clientName}</strong><br><span class="muted">${c.scopes.join(' ')}</span></td>
<td style="text-align:right"><form method="post" action="/account/revoke"><input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="client_id" value="${c.clientId}"><button class="secondary" type="submit">Revoke</button></form></td></tr>`,
        )}</table>`;
  return page(
    'Your account',
    html`<h1>${options.userName}</h1><p class="sub">Applications you allowed</p>${rows}
<form method="post" action="/logout" class="row"><input type="hidden" name="csrf" value="${options.csrf}"><button class="secondary" type="submit">Sign out</button></form>`,
  );
}

export function messagePage(title: string, message: string): Html {
  return page(title, html`<h1>${title}</h1><p>${message}</p>`);
}

/** The branded error page (also what the library shows, through `errorPage`). */
export function errorPage(description: string, error: string): Html {
  return page(
    'Something went wrong',
    html`<h1>Something went wrong</h1><p>${description}</p><p class="muted">Error: <code>${error}</code></p>
<p class="muted">Go back to the application you came from and try again.</p>`,
  );
}

/**
 * Asks before signing out when the logout request did not come with an ID
 * Token from the client (anyone could have sent it).
 */
export function signOutPage(options: {
  readonly csrf: string;
  readonly params: readonly [string, string][];
}): Html {
  const kept = options.params
    .filter(([name]) => ['client_id', 'post_logout_redirect_uri', 'state', 'ui_locales'].includes(name))
    .map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return page(
    'Sign out',
    html`<h1>Sign out of Kraikub?</h1><p class="sub">An application asked to sign you out.</p>
<form method="post" action="/end-session">
<input type="hidden" name="csrf" value="${options.csrf}">${kept}
<div class="row"><button class="primary" type="submit">Sign out</button></div>
</form>`,
  );
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** Escapes text for HTML. Every value from a request or a record goes through it. */
export const esc = (text: string) => text.replace(/[&<>"']/g, (c) => entities[c] ?? c);

const style = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;background:#f4f1ea;color:#1f2328}
main{max-width:26rem;margin:8vh auto;background:#fff;border-radius:14px;padding:2rem 2rem 1.5rem;box-shadow:0 10px 30px #0001}
h1{font-size:1.35rem;margin:0 0 .25rem}p.sub{color:#57606a;margin:0 0 1.5rem}.brand{font-weight:700;color:#7a3e00;letter-spacing:.02em}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}input[type=text],input[type=password]{width:100%;padding:.6rem .7rem;border:1px solid #d0d7de;border-radius:8px;font:inherit}
button{font:inherit;border:0;border-radius:8px;padding:.65rem 1.1rem;cursor:pointer}.primary{background:#7a3e00;color:#fff}.secondary{background:#eaeef2;color:#1f2328}
.row{display:flex;gap:.75rem;margin-top:1.5rem}.row button{flex:1}ul.scopes{padding:0;list-style:none}ul.scopes li{padding:.6rem .75rem;border:1px solid #eaeef2;border-radius:8px;margin:.4rem 0}
ul.scopes code{font-weight:600}.error{background:#ffebe9;border:1px solid #ff818266;padding:.6rem .75rem;border-radius:8px}.muted{color:#57606a;font-size:.9rem}
table{width:100%;border-collapse:collapse}td{padding:.4rem 0;border-bottom:1px solid #eaeef2}`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Kraikub</title><style>${style}</style></head><body><main>
<div class="brand">Kraikub</div>
${body}
</main></body></html>`;
}

export function loginPage(options: {
  interaction: string;
  csrf: string;
  clientName?: string;
  error?: string;
  username?: string;
}): string {
  const who =
    options.clientName === undefined
      ? ''
      : `<p class="sub">to continue to <strong>${esc(options.clientName)}</strong></p>`;
  return page(
    'Sign in',
    `<h1>Sign in</h1>${who || '<p class="sub">with your Kraikub account</p>'}
${options.error === undefined ? '' : `<p class="error" role="alert">${esc(options.error)}</p>`}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="${esc(options.csrf)}">
<input type="hidden" name="interaction" value="${esc(options.interaction)}">
<label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" value="${esc(options.username ?? '')}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="row"><button class="primary" type="submit">Sign in</button></div>
</form>`,
  );
}

export function consentPage(options: {
  interaction: string;
  csrf: string;
  clientName: string;
  userName: string;
  scopes: readonly { name: string; description: string }[];
}): string {
  const items = options.scopes
    .map((s) => `<li><code>${esc(s.name)}</code><br><span class="muted">${esc(s.description)}</span></li>`)
    .join('');
  return page(
    'Allow access',
    `<h1>${esc(options.clientName)} wants to access your account</h1>
<p class="sub">Signed in as <strong>${esc(options.userName)}</strong></p>
<p>This will allow <strong>${esc(options.clientName)}</strong> to:</p>
<ul class="scopes">${items}</ul>
<form method="post" action="/consent">
<input type="hidden" name="csrf" value="${esc(options.csrf)}">
<input type="hidden" name="interaction" value="${esc(options.interaction)}">
<div class="row"><button class="secondary" type="submit" name="decision" value="deny">Deny</button>
<button class="primary" type="submit" name="decision" value="approve">Allow</button></div>
</form>
<p class="muted">You can revoke this at any time on your <a href="/account">account page</a>.</p>`,
  );
}

export function accountPage(options: {
  userName: string;
  csrf: string;
  consents: readonly { clientId: string; clientName: string; scopes: readonly string[] }[];
}): string {
  const rows =
    options.consents.length === 0
      ? '<p class="muted">You have not allowed any application yet.</p>'
      : `<table>${options.consents
          .map(
            (
              c,
            ) => `<tr><td><strong>${esc(c.clientName)}</strong><br><span class="muted">${esc(c.scopes.join(' '))}</span></td>
<td style="text-align:right"><form method="post" action="/account/revoke"><input type="hidden" name="csrf" value="${esc(options.csrf)}">
<input type="hidden" name="client_id" value="${esc(c.clientId)}"><button class="secondary" type="submit">Revoke</button></form></td></tr>`,
          )
          .join('')}</table>`;
  return page(
    'Your account',
    `<h1>${esc(options.userName)}</h1><p class="sub">Applications you allowed</p>${rows}
<form method="post" action="/logout" class="row"><input type="hidden" name="csrf" value="${esc(options.csrf)}"><button class="secondary" type="submit">Sign out</button></form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}

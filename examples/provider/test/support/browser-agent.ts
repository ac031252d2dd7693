/** A user agent for tests over HTTP: keeps the session cookie, never follows redirects. */
export function userAgent(base: string) {
  let cookie = '';
  const go = async (path: string, form?: Record<string, string>, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(path, base), {
      method: form === undefined ? 'GET' : 'POST',
      redirect: 'manual',
      headers: {
        ...(cookie === '' ? {} : { cookie }),
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        ...headers,
      },
      ...(form === undefined ? {} : { body: new URLSearchParams(form) }),
    });
    const set = response.headers.get('set-cookie');
    if (set !== null) cookie = set.split(';')[0] ?? '';
    return response;
  };
  return { go };
}

/** The value of a hidden form field in a page. */
export const field = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * One HTTP request of an authorization flow, as the harness saw it: sent by
 * the SDK (through the `fetch` it was given), by the user's browser (the
 * headless user agent: its steps have no status here, it checks them
 * itself), or by the test (revocations).
 */
export type FlowStep =
  | {
      readonly by: 'sdk' | 'test';
      readonly method: string;
      readonly path: string;
      readonly status: number;
      /** What it was about: the JSON-RPC method for the MCP endpoint, the grant and resource for /token. */
      readonly detail?: string;
      /** The response's `WWW-Authenticate`, when it has one. */
      readonly challenge?: string;
    }
  | { readonly by: 'browser'; readonly path: string; readonly detail?: string };

/** What a request was about, from its body: never a token, code or verifier. */
function detailOf(url: URL, init: RequestInit | undefined): string | undefined {
  const body = init?.body;
  if (body instanceof URLSearchParams || (typeof body === 'string' && !body.startsWith('{'))) {
    const params = new URLSearchParams(body);
    const named = ['grant_type', 'resource', 'token_type_hint']
      .filter((name) => params.has(name))
      .map((name) => `${name}=${params.get(name)}`);
    return named.length === 0 ? undefined : named.join(' ');
  }
  if (typeof body === 'string') {
    const message = JSON.parse(body) as { method?: unknown; params?: { name?: unknown } };
    if (typeof message.method !== 'string') return undefined;
    return typeof message.params?.name === 'string'
      ? `${message.method} ${message.params.name}`
      : message.method;
  }
  if (init?.method === undefined || init.method === 'GET') {
    const accept = new Headers(init?.headers).get('accept');
    return accept === 'text/event-stream' && url.pathname.endsWith('/mcp') ? 'SSE stream' : undefined;
  }
  return undefined;
}

/** A fetch that records every request in `steps` (method, path, status), then returns its response. */
export function recordingFetch(steps: FlowStep[], by: 'sdk' | 'test' = 'sdk'): FetchLike {
  return async (input, init) => {
    const url = new URL(input);
    const response = await fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(5_000) });
    const detail = detailOf(url, init);
    const challenge = response.headers.get('www-authenticate');
    steps.push({
      by,
      method: init?.method ?? 'GET',
      path: url.pathname,
      status: response.status,
      ...(detail === undefined ? {} : { detail }),
      ...(challenge === null ? {} : { challenge }),
    });
    return response;
  };
}

/** The steps as lines, one per request, for a note or a log (`MCP_FLOW_LOG=1`). */
export function formatFlow(steps: readonly FlowStep[]): string {
  return steps
    .map((step) =>
      step.by === 'browser'
        ? `browser  ${''.padEnd(5)}${step.path.padEnd(48)}     ${step.detail ?? ''}`
        : `${step.by.padEnd(9)}${step.method.padEnd(5)}${step.path.padEnd(48)} ${step.status} ${step.detail ?? ''}`.trimEnd() +
          (step.challenge === undefined ? '' : `\n${' '.repeat(14)}WWW-Authenticate: ${step.challenge}`),
    )
    .map((line) => line.trimEnd())
    .join('\n');
}

/** `sdk POST /mcp 401`, `browser /authorize`: a step as a short label, for assertions on the order. */
export const labelOf = (step: FlowStep): string =>
  step.by === 'browser' ? `browser ${step.path}` : `${step.by} ${step.method} ${step.path} ${step.status}`;

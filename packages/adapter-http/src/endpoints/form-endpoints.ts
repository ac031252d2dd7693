import type { EndpointRequest, OAuthError } from '@kraikub/core';
import type { ResultAsync } from 'neverthrow';
import {
  type EndpointResult,
  type HttpInput,
  type HttpOutput,
  json,
  noStore,
  tooLarge,
} from '../lib/http.ts';
import { errorJson } from '../lib/status.ts';

/** The headers of every successful token and introspection response (shared, never mutated). */
const jsonNoStore: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  ...noStore,
});

function reject(status: number, description: string, extra: Record<string, string> = {}): EndpointResult {
  return json(status, { error: 'invalid_request', error_description: description }, { ...noStore, ...extra });
}

/**
 * Reads a form POST as core wants it, refusing what RFC 6749 section 3.2
 * does not allow: other methods (405), other content types (400), bodies
 * over the cap (413, before anything reaches storage).
 */
export async function readForm(
  input: HttpInput,
  maxBodyBytes: number,
): Promise<EndpointRequest | EndpointResult> {
  if (input.method !== 'POST') return reject(405, 'This endpoint accepts only POST.', { allow: 'POST' });
  const body = await readTypedBody(input, 'application/x-www-form-urlencoded', maxBodyBytes);
  if (typeof body !== 'string') return reject(body.status, body.description);
  // URLSearchParams iterates as name/value pairs, repeats kept: core reads it as it is.
  return { params: new URLSearchParams(body), authorization: input.header('authorization') };
}

/**
 * The body of a request whose media type is `type`, read up to
 * `maxBodyBytes` (a larger declared or actual length is refused before, or
 * as soon as, it is known); otherwise the status and description to refuse
 * it with.
 */
export async function readTypedBody(
  input: HttpInput,
  type: string,
  maxBodyBytes: number,
): Promise<string | { readonly status: 400 | 413; readonly description: string }> {
  const given = (input.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (given !== type) return { status: 400, description: `The body must be ${type}.` };
  const length = Number(input.header('content-length') ?? '0');
  const large = { status: 413, description: 'The request body is too large.' } as const;
  if (Number.isFinite(length) && length > maxBodyBytes) return large;
  const body = await input.readBody(maxBodyBytes);
  return body === tooLarge ? large : body;
}

function isRequest(value: EndpointRequest | EndpointResult): value is EndpointRequest {
  return 'params' in value;
}

/** One of the form-POST endpoints: what it asks core, and how it answers. */
export interface FormEndpoint<T> {
  /** The use case. */
  readonly call: (request: EndpointRequest) => ResultAsync<T, OAuthError>;
  /** The successful answer. */
  readonly respond: (value: T) => HttpOutput;
  /** Whether an unauthenticated caller always gets a 401 challenge (RFC 7662 section 2.3). */
  readonly alwaysChallenge: boolean;
}

/** A 200 JSON answer with `no-store`. */
export const jsonAnswer = (value: unknown): HttpOutput => ({
  status: 200,
  headers: jsonNoStore,
  body: JSON.stringify(value),
});

/** A 200 empty answer with `no-store` (RFC 7009 section 2.2). */
export const emptyAnswer = (): HttpOutput => ({ status: 200, headers: { ...noStore }, body: '' });

/**
 * Runs one of the form endpoints: token, revocation, introspection.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */
export async function formEndpoint<T>(
  endpoint: FormEndpoint<T>,
  input: HttpInput,
  options: {
    readonly maxBodyBytes: number;
    readonly realm: string;
    readonly onError: (error: OAuthError) => void;
  },
): Promise<EndpointResult> {
  const form = await readForm(input, options.maxBodyBytes);
  if (!isRequest(form)) return form;
  const result = await endpoint.call(form);
  if (result.isErr()) {
    options.onError(result.error);
    return errorJson(result.error, options.realm, endpoint.alwaysChallenge);
  }
  return endpoint.respond(result.value);
}

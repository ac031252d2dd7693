import type { ParamsInput } from './params.ts';

/**
 * A request at the token, revocation or introspection endpoint, as the HTTP
 * layer hands it over: the form body and the `Authorization` header.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export interface EndpointRequest {
  /** The form parameters of the body. */
  readonly params: ParamsInput;
  /** The `Authorization` header, if any. */
  readonly authorization?: string | undefined;
}

import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * The user at the browser: opens the authorization URL and returns where the
 * provider sent them back, or `undefined` when nobody is there to sign in.
 */
export type Browser = (authorizationUrl: URL) => Promise<URL | undefined>;

export interface HeadlessClientOptions {
  readonly redirectUrl: string;
  readonly clientMetadata: OAuthClientMetadata;
  /** A pre-registered client's information; absent, the SDK registers (or uses `clientMetadataUrl`). */
  readonly clientInformation?: OAuthClientInformationMixed;
  /** A Client ID Metadata Document's URL, used as the client id where the server supports it. */
  readonly clientMetadataUrl?: string;
  readonly browser: Browser;
}

/**
 * The MCP client's side of OAuth, as the SDK asks an application to
 * provide it: storage in memory (kept exactly as the SDK hands it over: the
 * SDK stamps what it saves with the authorization server and checks the
 * stamp), and `redirectToAuthorization` opening a headless browser instead
 * of a real one. The code the browser brings back waits in {@link takeCode}
 * for `transport.finishAuth`, as a loopback redirect handler would keep it.
 */
export class HeadlessClient implements OAuthClientProvider {
  readonly #options: HeadlessClientOptions;
  #clientInformation: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #codeVerifier: string | undefined;
  #code: string | undefined;
  /** Every authorization URL the SDK sent the user to, in order. */
  readonly authorizationUrls: URL[] = [];
  /** Every `invalidateCredentials` call, in order. */
  readonly invalidations: string[] = [];
  readonly clientMetadataUrl?: string;

  constructor(options: HeadlessClientOptions) {
    this.#options = options;
    this.#clientInformation = options.clientInformation;
    if (options.clientMetadataUrl !== undefined) this.clientMetadataUrl = options.clientMetadataUrl;
  }

  get redirectUrl(): string {
    return this.#options.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return this.#options.clientMetadata;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#clientInformation;
  }

  saveClientInformation(clientInformation: OAuthClientInformationMixed): void {
    this.#clientInformation = clientInformation;
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(authorizationUrl);
    const callback = await this.#options.browser(authorizationUrl);
    if (callback === undefined) return;
    const code = callback.searchParams.get('code');
    if (code === null) {
      throw new Error(`the authorization ended without a code: ${callback.searchParams.get('error')}`);
    }
    this.#code = code;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.#codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    if (this.#codeVerifier === undefined) throw new Error('no code verifier saved');
    return this.#codeVerifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    this.invalidations.push(scope);
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    // Forgets what the SDK saved; a pre-registered client keeps its configured id.
    if (scope === 'all' || scope === 'client') this.#clientInformation = this.#options.clientInformation;
    if (scope === 'all' || scope === 'verifier') this.#codeVerifier = undefined;
  }

  /** The code of the last completed authorization, once: what `transport.finishAuth` takes. */
  takeCode(): string {
    const code = this.#code;
    if (code === undefined)
      throw new Error('no authorization code: the user has not been through the provider');
    this.#code = undefined;
    return code;
  }
}

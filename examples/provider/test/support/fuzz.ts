/**
 * The fuzz campaign: sends generated requests (and valid flows) over raw
 * sockets to the provider child process, checks every answer, attributes
 * crashes to the request that caused them (hostile-looking requests are
 * sent one at a time; a crash among the others is pinned down by replaying
 * the suspects alone on a restarted provider), and groups the failures into
 * distinct kinds for the report.
 *
 * Rules checked for every request:
 * - a response or a close arrives within the timeout (no hang);
 * - no status >= 500, except 503 while the storage is deliberately down;
 * - every status >= 400 carries `Cache-Control: no-store`;
 * - a close without any response (or Node's own bare parser reply) only for
 *   requests malformed at the HTTP framing level;
 * - after every batch, the process is alive and serves its metadata (200).
 */
import { createHash } from 'node:crypto';
import {
  corpus,
  demo,
  type FuzzRequest,
  type GenContext,
  generateRequest,
  Pool,
  randomLoopback,
  routeNames,
  validBasic,
} from './generate.ts';
import type { ExitInfo, ProviderProcess } from './processes.ts';
import {
  escapeBytes,
  exchange,
  headerOf,
  headersOf,
  isNodeReply,
  type ParsedResponse,
  type RawResult,
} from './raw-http.ts';
import { deriveSeed, Rng } from './rng.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One broken rule, with the request that broke it. */
export interface Failure {
  /** What dedupes it: failures with the same kind are one finding. */
  readonly kind: string;
  readonly request: FuzzRequest;
  readonly result: RawResult | undefined;
  readonly detail: string;
  readonly phase: string;
}

export interface PhaseSettings {
  readonly name: string;
  readonly seed: number;
  readonly provider: ProviderProcess;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly batchSize?: number;
  /** Most restarts after crashes before the phase gives up. */
  readonly maxRestarts?: number;
}

/** Counters for the summary line. */
interface Stats {
  sent: number;
  appResponses: number;
  parserReplies: number;
  parserCloses: number;
  crashes: number;
  /** Requests found to crash it. */
  culprits: number;
  statuses: Map<number, number>;
  /** Routes that got at least one answer from the app. */
  answered: Set<string>;
  /** Per route, how many answers of each status: `FUZZ_ROUTES=1` prints them. */
  byRoute: Map<string, Map<number, number>>;
  flowsOk: number;
  flowsFailed: number;
  /** Generated but not sent: they share a quarantined choice with known crashers. */
  skipped: number;
}

const noStore = (response: ParsedResponse) =>
  headersOf(response, 'cache-control').some((value) => value.toLowerCase().includes('no-store'));

/** A short, stable rendering of a response body (digits and ids folded) for dedup. */
function bodySignature(response: ParsedResponse): string {
  if (response.body.length === 0) return '(no body)';
  const text = response.body.toString('utf8');
  const title = /<title>([^<]*)<\/title>/.exec(text)?.[1];
  const h1 = /<h1>([^<]*)<\/h1>/.exec(text)?.[1];
  const base = title !== undefined ? `html "${h1 ?? title}"` : text.slice(0, 90);
  return base.replace(/[0-9a-f]{16,}/gi, '…').replace(/\d+/g, 'N');
}

/** Where the request was actually aimed: the route, or its hostile target form. */
function aimOf(request: FuzzRequest): string {
  const notes = request.notes
    .filter((note) => /^(corpus|target|method|host|version):/.test(note))
    .map((note) => (note.length > 40 ? `${note.slice(0, 40)}…` : note));
  return [request.route, ...notes].join(' ');
}

/** The error line and first project stack frame of an uncaught exception in the child's output. */
export function crashSignature(output: string): string {
  const lines = output.split('\n');
  const error =
    lines.find((line) => /^(\w*Error\b|Error \[|\w+Exception\b|Uncaught\b)/.test(line.trim())) ??
    lines.find((line) => /^(node:|file:|\/)\S+:\d+/.test(line.trim()));
  const frame = lines.find((line) => /^\s+at .*(packages|examples)\//.test(line));
  const where = frame?.trim().replace(/(\(|at )\S*?\/(packages|examples)\//, '$1$2/') ?? '';
  const text = `${error?.trim() ?? 'exited without an error message'}${where === '' ? '' : ` ${where}`}`;
  return text.slice(0, 240);
}

/** The part of the child's output about its death (the stack trace), not its start-up banner. */
function crashExcerpt(exit: ExitInfo | undefined): string {
  if (exit === undefined) return 'the process exited';
  const lines = exit.output.split('\n');
  const banner = lines.findLastIndex(
    (line) => line.trim().startsWith('demo app') || line.trim().startsWith('clients'),
  );
  const tail = lines.slice(banner + 1).filter((line) => line.trim() !== '');
  return `process exited (code ${exit.code}, signal ${exit.signal}):\n${tail.slice(0, 14).join('\n')}`;
}

/** A generator choice about the request's structure (not an incidental value). */
const isStructural = (note: string) => /^(target|host|method|version|bad header|framing):/.test(note);

/** Runs `tasks` with at most `limit` at once, in order of start. */
async function runLimited<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A well-formed request for the valid flows (and the control checks). */
export function wellFormed(
  port: number,
  index: number,
  route: string,
  method: string,
  target: string,
  options: { headers?: readonly string[]; form?: Record<string, string>; localAddress: string },
): FuzzRequest {
  const lines = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...(options.headers ?? [])];
  let body = '';
  if (options.form !== undefined) {
    body = new URLSearchParams(options.form).toString();
    lines.push(
      'Content-Type: application/x-www-form-urlencoded',
      `Content-Length: ${Buffer.byteLength(body)}`,
    );
  }
  const bytes = Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`);
  return {
    index,
    route,
    notes: ['valid flow'],
    bytes,
    writes: [bytes],
    halfClose: false,
    framing: undefined,
    head: method === 'HEAD',
    localAddress: options.localAddress,
  };
}

type FlowOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly step: string; readonly detail: string };

/** One campaign against one provider process. */
export class Phase {
  readonly failures: Failure[] = [];
  readonly pool = new Pool();
  readonly stats: Stats = {
    sent: 0,
    appResponses: 0,
    parserReplies: 0,
    parserCloses: 0,
    crashes: 0,
    culprits: 0,
    statuses: new Map(),
    answered: new Set(),
    byRoute: new Map(),
    flowsOk: 0,
    flowsFailed: 0,
    skipped: 0,
  };
  /** While true (a deliberate storage outage), 503 is the one 5xx allowed. */
  storageDown = false;
  readonly rng: Rng;
  readonly flowRng: Rng;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  readonly #batchSize: number;
  readonly #maxRestarts: number;
  #restarts = 0;
  readonly #crashNotes = new Map<string, number>();
  /** Structural choices (a target form, a Host value...) that crashed the process twice the same way. */
  readonly #quarantined = new Set<string>();
  #index = 0;
  #aborted: string | undefined;
  readonly started = Date.now();

  constructor(readonly settings: PhaseSettings) {
    this.rng = new Rng(deriveSeed(settings.seed, settings.name));
    // The flows draw from their own stream: how far a flow gets must not shift the fuzz requests.
    this.flowRng = new Rng(deriveSeed(settings.seed, `${settings.name}:flows`));
    this.#timeoutMs = settings.timeoutMs ?? 5_000;
    this.#concurrency = settings.concurrency ?? 4;
    this.#batchSize = settings.batchSize ?? 60;
    this.#maxRestarts = settings.maxRestarts ?? 30;
  }

  get provider(): ProviderProcess {
    return this.settings.provider;
  }

  get aborted(): string | undefined {
    return this.#aborted;
  }

  #context(): GenContext {
    return { port: this.provider.port, pool: this.pool };
  }

  #fail(kind: string, request: FuzzRequest, result: RawResult | undefined, detail: string): void {
    this.failures.push({ kind, request, result, detail, phase: this.settings.name });
  }

  /** Sends one request and returns what came back (no checks). */
  async #send(request: FuzzRequest): Promise<RawResult> {
    this.stats.sent++;
    return exchange({
      port: this.provider.port,
      writes: request.writes,
      halfClose: request.halfClose,
      head: request.head,
      localAddress: request.localAddress,
      timeoutMs: this.#timeoutMs,
    });
  }

  /** Checks one result against the rules; records failures and statistics. */
  #check(request: FuzzRequest, result: RawResult): void {
    switch (result.outcome) {
      case 'timeout':
        this.#fail(`hang: no response and no close within ${this.#timeoutMs} ms`, request, result, 'hang');
        return;
      case 'garbled':
        this.#fail('garbled response bytes', request, result, 'not an HTTP response');
        return;
      case 'truncated':
        this.#fail('truncated response: the connection closed mid-response', request, result, 'truncated');
        break;
      case 'refused':
        this.#fail('connection refused: the provider is not listening', request, result, 'refused');
        return;
      case 'closed':
      case 'reset':
        if (request.framing !== undefined) {
          this.stats.parserCloses++;
          return;
        }
        this.#fail(
          `connection ${result.outcome} without any response to a well-formed request` +
            `${request.halfClose ? ' ending in FIN (client half-close)' : ''}`,
          request,
          result,
          result.outcome,
        );
        return;
      case 'response':
        break;
    }
    result.responses.forEach((response, i) => {
      if (isNodeReply(response)) {
        this.stats.parserReplies++;
        if (request.framing === undefined && i === 0) {
          const why = response.status === 417 ? ' (an Expect other than 100-continue)' : '';
          this.#fail(
            `Node's own ${response.status} reply${why}, no Cache-Control: no-store, to a request the generator considers well-formed`,
            request,
            result,
            'node reply',
          );
        }
        return;
      }
      this.stats.appResponses++;
      this.stats.answered.add(request.route);
      const perRoute = this.stats.byRoute.get(request.route) ?? new Map<number, number>();
      perRoute.set(response.status, (perRoute.get(response.status) ?? 0) + 1);
      this.stats.byRoute.set(request.route, perRoute);
      this.stats.statuses.set(response.status, (this.stats.statuses.get(response.status) ?? 0) + 1);
      const status = response.status;
      const storeNote = noStore(response) ? '' : ', no Cache-Control: no-store';
      const type = headerOf(response, 'content-type')?.split(';')[0] ?? 'no content-type';
      if (status >= 500 && !(this.storageDown && status === 503)) {
        const allowed = this.storageDown ? ' (only 503 allowed during the outage)' : '';
        this.#fail(
          `status ${status}${allowed}${storeNote}: ${type} ${bodySignature(response)}`,
          request,
          result,
          `status ${status}`,
        );
      } else if (status >= 400 && !noStore(response)) {
        this.#fail(
          `status ${status} without Cache-Control: no-store: ${type} ${bodySignature(response)}`,
          request,
          result,
          'no-store',
        );
      }
    });
  }

  /** Sends and checks one request (used by the flows, where there is no batch). */
  async request(request: FuzzRequest): Promise<RawResult> {
    const result = await this.#send(request);
    this.#check(request, result);
    return result;
  }

  /** Sends a batch; on a crash, finds the culprit(s) and restarts the provider. */
  async #batch(requests: readonly FuzzRequest[]): Promise<void> {
    // Requests with a hostile structure (the likely crashers) go one at a time, after the others
    // (sent concurrently): a crash then has exactly one suspect, and costs a single restart.
    const risky = (request: FuzzRequest) =>
      request.notes.some((note) => isStructural(note) || note.startsWith('corpus:'));
    await this.#run(requests.filter((request) => !risky(request)));
    for (const request of requests.filter(risky)) {
      if (this.#aborted !== undefined) break;
      await this.#alone(request);
    }
    await this.#control();
  }

  /** Sends one request with nothing else in flight; if the process dies meanwhile, that request did it. */
  async #alone(request: FuzzRequest, again = true): Promise<void> {
    const result = await this.#send(request);
    if (result.outcome !== 'response' && result.outcome !== 'garbled') {
      // A crash shows as a lost answer: give the child's exit a moment to be noticed.
      for (let i = 0; i < 5 && this.provider.alive(); i++) await sleep(10);
    }
    if (this.provider.alive()) {
      this.#check(request, result);
      return;
    }
    const exit = this.provider.exit;
    this.stats.crashes++;
    if (result.outcome === 'refused') {
      // It died before this request (after an earlier answer): no request to blame.
      this.note(`crash with no request in flight: ${crashSignature(exit?.output ?? '')}`, crashExcerpt(exit));
      if ((await this.#restart()) && again) await this.#alone(request, false);
      return;
    }
    this.#crash(request, result, exit, 'sent alone, the process died while it was in flight');
    await this.#restart();
  }

  /** Sends requests concurrently and checks them; on a crash, attributes it and sends the rest again. */
  async #run(requests: readonly FuzzRequest[]): Promise<void> {
    if (this.#aborted !== undefined) return;
    const results = await runLimited(requests, this.#concurrency, (request) => this.#send(request));
    await sleep(5);
    if (this.provider.alive()) {
      for (const [i, request] of requests.entries()) this.#check(request, results[i] as RawResult);
    } else {
      const inFlight: FuzzRequest[] = [];
      const notServed: FuzzRequest[] = [];
      for (const [i, request] of requests.entries()) {
        const result = results[i] as RawResult;
        if (result.outcome === 'response' || result.outcome === 'garbled') this.#check(request, result);
        else if (result.outcome === 'refused') notServed.push(request);
        else inFlight.push(request);
      }
      await this.#attribute(inFlight);
      await this.#run(notServed);
    }
  }

  /** Called to start the provider again (the outage campaign wraps it to have Redis up meanwhile). */
  restartWith: (start: () => Promise<void>) => Promise<void> = (start) => start();

  async #restart(): Promise<boolean> {
    if (this.#restarts >= this.#maxRestarts) {
      this.#aborted = `gave up after ${this.#restarts} restarts (crashes)`;
      return false;
    }
    this.#restarts++;
    await this.provider.stop();
    await this.restartWith(() => this.provider.start());
    // Where one crash was, more follow: a spare process makes the next restart instant.
    if (!this.storageDown) this.provider.warmSpare();
    return true;
  }

  #crash(request: FuzzRequest, result: RawResult | undefined, exit: ExitInfo | undefined, how: string): void {
    this.stats.culprits++;
    // A structural choice seen in two requests that crashed the same way is quarantined: each
    // restart costs seconds, and more of the same crash teaches nothing new.
    const signature = crashSignature(exit?.output ?? '');
    for (const note of request.notes.filter(isStructural)) {
      const key = `${signature}|${note}`;
      const seen = (this.#crashNotes.get(key) ?? 0) + 1;
      this.#crashNotes.set(key, seen);
      if (seen >= 2) this.#quarantined.add(note);
    }
    this.#fail(
      `crash: ${crashSignature(exit?.output ?? '')}`,
      request,
      result,
      `${how}; ${crashExcerpt(exit)}`,
    );
  }

  /**
   * The provider died during a batch. When the one request in flight was
   * well-formed (so nothing but the crash explains its lost answer), that one
   * did it. Otherwise each request in flight is replayed alone on a
   * restarted provider (the hostile-looking ones first) until one kills it
   * again.
   */
  async #attribute(inFlight: readonly FuzzRequest[]): Promise<void> {
    const exit = this.provider.exit;
    this.stats.crashes++;
    if (!(await this.#restart())) return;
    const signature = crashSignature(exit?.output ?? '');
    const [only] = inFlight;
    const culprit = inFlight.length === 1 && only?.framing === undefined ? only : undefined;
    if (culprit !== undefined)
      this.#crash(culprit, undefined, exit, 'the only request in flight when the process died');
    let found = culprit !== undefined;
    const hostile = (request: FuzzRequest) => (request.notes.some(isStructural) ? 0 : 1);
    const suspects = inFlight
      .filter((request) => request !== culprit)
      .sort((a, b) => hostile(a) - hostile(b));
    const replay = suspects.slice(0, 16);
    for (const request of replay) {
      const result = await this.#send(request);
      await sleep(30);
      if (this.provider.alive()) {
        this.#check(request, result);
        continue;
      }
      found = true;
      this.stats.crashes++;
      this.#crash(request, result, this.provider.exit, 'replayed alone, it killed the process again');
      if (!(await this.#restart())) return;
    }
    if (found) return;
    const first = inFlight[0];
    if (first === undefined) {
      this.note(`crash with no request in flight: ${signature}`, crashExcerpt(exit));
    } else {
      this.#fail(
        `crash not reproduced by replaying the requests in flight alone: ${signature}`,
        first,
        undefined,
        crashExcerpt(exit),
      );
    }
  }

  /** After every batch: alive, and the metadata document answers 200. */
  async #control(): Promise<void> {
    const request = wellFormed(
      this.provider.port,
      -1,
      'control: metadata',
      'GET',
      '/.well-known/oauth-authorization-server',
      {
        localAddress: '127.0.0.1',
      },
    );
    if (!this.provider.alive()) {
      const exit = this.provider.exit;
      this.#fail(
        `the provider was not alive after a batch: ${crashSignature(exit?.output ?? '')}`,
        request,
        undefined,
        crashExcerpt(exit),
      );
      await this.#restart();
      return;
    }
    const result = await this.#send(request);
    const status = result.outcome === 'response' ? result.responses[0]?.status : undefined;
    if (status !== 200) {
      this.#fail(
        `metadata check after a batch did not answer 200 (${result.outcome} ${status ?? ''})`,
        request,
        result,
        '',
      );
    }
  }

  /** Sends the fixed probes (known troublemakers, one of each framing trick). */
  async probes(): Promise<void> {
    await this.#batch(corpus(this.provider.port, this.pool));
  }

  /** Generates and sends `count` fuzz requests in batches; runs a valid flow every few batches. */
  async fuzz(count: number): Promise<void> {
    let batches = 0;
    for (let sent = 0; sent < count && this.#aborted === undefined; ) {
      const size = Math.min(this.#batchSize, count - sent);
      const batch = Array.from({ length: size }, () =>
        generateRequest(this.rng, this.#context(), this.#index++),
      ).filter((request) => {
        const known = request.notes.some((note) => this.#quarantined.has(note));
        if (known) this.stats.skipped++;
        return !known;
      });
      await this.#batch(batch);
      sent += size;
      if (++batches % 6 === 0) await this.seed(1);
    }
  }

  /** Runs `full` complete flows and as many partial ones (pending interactions for the pool). */
  async seed(full: number): Promise<FlowOutcome[]> {
    const outcomes: FlowOutcome[] = [];
    for (let i = 0; i < full; i++) {
      for (const complete of [true, false]) {
        const outcome = await this.flow(complete);
        if (!this.storageDown)
          this.flowFailed(outcome, complete ? 'between batches' : '(partial) between batches');
        outcomes.push(outcome);
      }
    }
    return outcomes;
  }

  /**
   * A valid flow, over raw sockets like everything else: authorize → login
   * page → login (alice) → consent page → approve → code → token (Basic) →
   * /api/me → introspect → refresh → (sometimes) revoke → account page.
   * `complete: false` stops after the login page (a pending interaction).
   * Every step is checked by the same rules as the fuzz requests.
   */
  async flow(complete: boolean): Promise<FlowOutcome> {
    /** A page's text without its head and tags: what the user would read. */
    const textOf = (html: string) =>
      html
        .replace(/<head>[\s\S]*?<\/head>/, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
    const port = this.provider.port;
    const rng = this.flowRng;
    const from = randomLoopback(rng);
    const send = async (
      route: string,
      method: string,
      target: string,
      options: { headers?: string[]; form?: Record<string, string> } = {},
    ) => {
      const result = await this.request(
        wellFormed(port, this.#index++, route, method, target, { ...options, localAddress: from }),
      );
      return result.outcome === 'response' ? result.responses[0] : undefined;
    };
    const fail = (step: string, response: ParsedResponse | undefined): FlowOutcome => {
      this.stats.flowsFailed++;
      const detail =
        response === undefined
          ? 'no response'
          : `${response.status} ${headerOf(response, 'location') ?? ''} ${textOf(response.body.toString('utf8')).slice(0, 200)}`;
      return { ok: false, step, detail };
    };
    const cookieOf = (response: ParsedResponse) =>
      headersOf(response, 'set-cookie')
        .map((value) => value.split(';')[0] ?? '')
        .find((value) => value.startsWith('kraikub_session=') && value !== 'kraikub_session=');
    const csrfOf = (response: ParsedResponse) =>
      /name="csrf" value="([^"]*)"/.exec(response.body.toString('utf8'))?.[1];

    const state = rng.string(16);
    const verifier = rng.string(64);
    const pkce = rng.chance(0.5);
    const authorize = new URLSearchParams({
      response_type: 'code',
      client_id: demo.clientId,
      redirect_uri: demo.redirectUri,
      scope: 'profile email offline_access',
      state,
      ...(pkce
        ? {
            code_challenge: createHash('sha256').update(verifier).digest('base64url'),
            code_challenge_method: 'S256',
          }
        : {}),
    });
    const started = await send('GET /authorize', 'GET', `/authorize?${authorize}`);
    const toLogin = started === undefined ? undefined : headerOf(started, 'location');
    const interaction = toLogin === undefined ? undefined : /[?&]interaction=([^&]+)/.exec(toLogin)?.[1];
    if (started === undefined || ![302, 303].includes(started.status) || interaction === undefined) {
      return fail('authorize', started);
    }
    this.pool.add(this.pool.interactions, decodeURIComponent(interaction));

    const loginPage = await send('GET /login', 'GET', `/login?interaction=${interaction}`);
    const anonCookie = loginPage === undefined ? undefined : cookieOf(loginPage);
    const anonCsrf = loginPage === undefined ? undefined : csrfOf(loginPage);
    if (loginPage?.status !== 200 || anonCookie === undefined || anonCsrf === undefined)
      return fail('login page', loginPage);
    if (!complete) {
      this.pool.add(this.pool.sessions, { cookie: anonCookie, csrf: anonCsrf });
      this.stats.flowsOk++;
      return { ok: true };
    }

    const loggedIn = await send('POST /login', 'POST', '/login', {
      headers: [`Cookie: ${anonCookie}`],
      form: {
        csrf: anonCsrf,
        interaction: decodeURIComponent(interaction),
        username: demo.username,
        password: demo.password,
      },
    });
    const cookie = loggedIn === undefined ? undefined : cookieOf(loggedIn);
    let location = loggedIn === undefined ? undefined : headerOf(loggedIn, 'location');
    if (loggedIn?.status !== 303 || cookie === undefined || location === undefined)
      return fail('login', loggedIn);

    if (location.startsWith('/consent')) {
      const consentPage = await send('GET /consent', 'GET', location, { headers: [`Cookie: ${cookie}`] });
      const csrf = consentPage === undefined ? undefined : csrfOf(consentPage);
      if (consentPage?.status !== 200 || csrf === undefined) return fail('consent page', consentPage);
      this.pool.add(this.pool.sessions, { cookie, csrf });
      const approved = await send('POST /consent', 'POST', '/consent', {
        headers: [`Cookie: ${cookie}`],
        form: { csrf, interaction: decodeURIComponent(interaction), decision: 'approve' },
      });
      location = approved === undefined ? undefined : headerOf(approved, 'location');
      if (approved?.status !== 303 || location === undefined) return fail('consent', approved);
    }
    const back = new URL(location);
    const code = back.searchParams.get('code');
    if (!location.startsWith(demo.redirectUri) || code === null || back.searchParams.get('state') !== state) {
      return fail(`redirect back to the client (${location})`, undefined);
    }
    this.pool.add(this.pool.codes, code);

    const exchanged = await send('POST /token', 'POST', '/token', {
      headers: [`Authorization: ${validBasic}`],
      form: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: demo.redirectUri,
        ...(pkce ? { code_verifier: verifier } : {}),
      },
    });
    const tokens =
      exchanged?.status === 200
        ? (JSON.parse(exchanged.body.toString('utf8')) as { access_token?: string; refresh_token?: string })
        : undefined;
    if (tokens?.access_token === undefined) return fail('token (authorization_code)', exchanged);
    this.pool.add(this.pool.accessTokens, tokens.access_token);
    this.pool.add(this.pool.refreshTokens, tokens.refresh_token);

    const me = await send('GET /api/me', 'GET', '/api/me', {
      headers: [`Authorization: Bearer ${tokens.access_token}`],
    });
    if (me?.status !== 200) return fail('/api/me', me);

    const introspected = await send('POST /introspect', 'POST', '/introspect', {
      headers: [`Authorization: ${validBasic}`],
      form: { token: tokens.access_token },
    });
    if (introspected?.status !== 200 || !introspected.body.toString('utf8').includes('"active":true')) {
      return fail('introspect', introspected);
    }

    if (tokens.refresh_token !== undefined) {
      const refreshed = await send('POST /token', 'POST', '/token', {
        headers: [`Authorization: ${validBasic}`],
        form: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      });
      if (refreshed?.status !== 200) return fail('token (refresh_token)', refreshed);
      const fresh = JSON.parse(refreshed.body.toString('utf8')) as {
        access_token?: string;
        refresh_token?: string;
      };
      this.pool.add(this.pool.accessTokens, fresh.access_token);
      this.pool.add(this.pool.refreshTokens, fresh.refresh_token);
    }

    if (rng.chance(0.3)) {
      const revoked = await send('POST /revoke', 'POST', '/revoke', {
        headers: [`Authorization: ${validBasic}`],
        form: { token: tokens.access_token, token_type_hint: 'access_token' },
      });
      if (revoked?.status !== 200) return fail('revoke', revoked);
    }

    const account = await send('GET /account', 'GET', '/account', { headers: [`Cookie: ${cookie}`] });
    if (account?.status !== 200) return fail('account page', account);
    this.stats.flowsOk++;
    return { ok: true };
  }

  /** Records a failed valid flow (when the storage is up, flows must succeed). */
  flowFailed(outcome: FlowOutcome, when: string): void {
    if (outcome.ok) return;
    const request = wellFormed(this.provider.port, -1, 'valid flow', 'GET', '/authorize', {
      localAddress: '127.0.0.1',
    });
    this.#fail(`a valid flow failed ${when} at step ${outcome.step}`, request, undefined, outcome.detail);
  }

  /** Records a failure that is not tied to a fuzz request. */
  note(kind: string, detail: string): void {
    const request = wellFormed(this.provider.port, -1, 'control', 'GET', '/', { localAddress: '127.0.0.1' });
    this.#fail(kind, request, undefined, detail);
  }

  /** Coverage: every route got at least one answer from the app (not only from Node's parser). */
  checkCoverage(): void {
    if (this.stats.sent < 500) return;
    for (const route of routeNames) {
      if (!this.stats.answered.has(route))
        this.note(`coverage: ${route} never got an answer from the app`, '');
    }
  }

  /** One line for the log. */
  summary(): string {
    const s = this.stats;
    const statuses = [...s.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}:${n}`)
      .join(' ');
    return (
      `[fuzz ${this.settings.name}] ${s.sent} requests in ${((Date.now() - this.started) / 1000).toFixed(1)} s; ` +
      `app responses ${s.appResponses} (${statuses}); Node parser replies ${s.parserReplies}, ` +
      `closes on malformed framing ${s.parserCloses}; crashes ${s.crashes} (requests found to cause them ${s.culprits}), restarts ${this.#restarts}; ` +
      `valid flows ok ${s.flowsOk} / failed ${s.flowsFailed}; failures ${this.failures.length}` +
      (this.#quarantined.size === 0
        ? ''
        : `; not sent ${s.skipped} resembling known crashers (${[...this.#quarantined].join(', ')})`) +
      (process.env.FUZZ_ROUTES === '1'
        ? [...s.byRoute.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(
              ([route, byStatus]) =>
                `\n  ${route}: ${[...byStatus.entries()].map(([status, n]) => `${status}:${n}`).join(' ')}`,
            )
            .join('')
        : '')
    );
  }
}

/** The failures grouped by kind, one example each (the shortest request), as the assertion message. */
export function report(seed: number, phase: string, failures: readonly Failure[], aborted?: string): string {
  const kinds = new Map<string, Failure[]>();
  for (const failure of failures) {
    const list = kinds.get(failure.kind) ?? [];
    list.push(failure);
    kinds.set(failure.kind, list);
  }
  const out = [
    `fuzz phase "${phase}", seed ${seed}: ${kinds.size} distinct failure kind(s), ${failures.length} failing request(s)` +
      `${aborted === undefined ? '' : ` (phase aborted: ${aborted})`}.`,
    `Reproduce: FUZZ_SEED=${seed} pnpm vitest run --project example-provider test/fuzz.test.ts`,
  ];
  let n = 0;
  for (const [kind, list] of [...kinds.entries()].sort((a, b) => b[1].length - a[1].length)) {
    const example = list.reduce((best, f) => (f.request.bytes.length < best.request.bytes.length ? f : best));
    const routes = new Map<string, number>();
    for (const f of list) routes.set(aimOf(f.request), (routes.get(aimOf(f.request)) ?? 0) + 1);
    const routeList = [...routes.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([route, count]) => `${route} ×${count}`)
      .join(', ');
    out.push(
      '',
      `#${++n} ${kind}`,
      `   ${list.length}× on: ${routeList}`,
      `   example request #${example.request.index} [${example.request.notes.join(', ') || 'no mutation'}]` +
        `${example.request.framing === undefined ? '' : ` (malformed: ${example.request.framing})`}:`,
      `   sent: "${escapeBytes(example.request.bytes)}"`,
      example.result === undefined
        ? `   got: ${example.detail.slice(0, 600)}`
        : `   got (${example.result.outcome}${example.result.error === undefined ? '' : `, ${example.result.error}`}, ` +
            `${example.result.ms} ms): "${escapeBytes(example.result.received)}"` +
            `${example.kind.startsWith('crash') ? `\n   ${example.detail.split('\n').slice(0, 12).join('\n   ')}` : ''}`,
    );
  }
  return out.join('\n');
}

import {
  type ClientRecord,
  type ClientStore,
  clientRecordSchema,
  type DeleteClientResult,
  type RegisterClientResult,
  type UpdateClientResult,
} from '@kraikub/core';
import { z } from 'zod';

const clientListSchema = z.array(clientRecordSchema);

function describeIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
      .join('');
    return `${source}${path || ''}: ${issue.message}`;
  });
  return lines.join('\n');
}

/**
 * Validates client registrations (as parsed JSON). A bad entry throws a
 * `TypeError` whose message names each bad field, like
 * `clients[0].redirectUris[1]: must use https (http only on loopback)`.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { parseClients } from '@kraikub/adapter-memory';
 * const text = await readFile('clients.json', 'utf8');
 * const clients = parseClients(JSON.parse(text), 'clients.json');
 * ```
 */
export function parseClients(input: unknown, source = 'clients'): ClientRecord[] {
  const result = clientListSchema.safeParse(input);
  if (!result.success)
    throw new TypeError(`Invalid client registration:\n${describeIssues(result.error, source)}`);
  return result.data;
}

/**
 * A {@link ClientStore} in memory. Clients are registered in code or loaded
 * from a JSON file ({@link loadClientsFile}); every one is validated.
 *
 * @example
 * ```ts
 * import { MemoryClientStore } from '@kraikub/adapter-memory';
 * const clients = new MemoryClientStore([
 *   { id: 'demo', name: 'Demo', tokenEndpointAuthMethod: 'none', scopes: ['profile'],
 *     redirectUris: ['http://localhost:4000/callback'], grantTypes: ['authorization_code', 'refresh_token'] },
 * ]);
 * ```
 */
export class MemoryClientStore implements ClientStore {
  readonly #clients = new Map<string, ClientRecord>();

  constructor(clients: readonly unknown[] = []) {
    for (const client of parseClients(clients)) this.#set(client);
  }

  /** Registers (or replaces) one client after validating it, at once (for start-up code and tests). */
  register(client: unknown): ClientRecord {
    const parsed = this.#parse(client as ClientRecord);
    this.#set(parsed);
    return parsed;
  }

  /** Removes a client; true if it existed. */
  remove(clientId: string): boolean {
    return this.#clients.delete(clientId);
  }

  /** Every registered client. */
  list(): ClientRecord[] {
    return [...this.#clients.values()];
  }

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    return this.#clients.get(clientId);
  }

  /** Stores a new client (validated); `exists` when its id is taken. */
  async registerClient(client: ClientRecord): Promise<RegisterClientResult> {
    const parsed = this.#parse(client);
    if (this.#clients.has(parsed.id)) return { status: 'exists' };
    this.#set(parsed);
    return { status: 'registered' };
  }

  /** Replaces an existing client (validated); `not_found` when there is none. */
  async updateClient(client: ClientRecord): Promise<UpdateClientResult> {
    const parsed = this.#parse(client);
    if (!this.#clients.has(parsed.id)) return { status: 'not_found' };
    this.#set(parsed);
    return { status: 'updated' };
  }

  async deleteClient(clientId: string): Promise<DeleteClientResult> {
    return this.#clients.delete(clientId) ? { status: 'deleted' } : { status: 'not_found' };
  }

  async listClients(): Promise<ClientRecord[]> {
    return this.list();
  }

  #parse(client: ClientRecord): ClientRecord {
    const [parsed] = parseClients([client], 'client');
    if (parsed === undefined) throw new TypeError('Invalid client registration');
    return parsed;
  }

  #set(client: ClientRecord): void {
    this.#clients.set(client.id, client);
  }
}

/**
 * Loads client registrations from a JSON file (an array of client records)
 * into a {@link MemoryClientStore}. Node, Deno and Bun: it reads through
 * `node:fs/promises`, imported only when called.
 *
 * @example
 * ```ts
 * import { loadClientsFile } from '@kraikub/adapter-memory';
 * const clients = await loadClientsFile('./clients.json');
 * ```
 */
export async function loadClientsFile(path: string): Promise<MemoryClientStore> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TypeError(`${path}: not valid JSON (${(cause as Error).message})`);
  }
  return new MemoryClientStore(parseClients(json, path));
}

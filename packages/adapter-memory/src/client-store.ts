import { type ClientRecord, type ClientStore, clientRecordSchema } from '@kraikub/core';
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

  /** Registers (or replaces) one client after validating it. */
  register(client: unknown): ClientRecord {
    const [parsed] = parseClients([client], 'client');
    if (parsed === undefined) throw new TypeError('Invalid client registration');
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

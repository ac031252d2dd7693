import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseClients } from '@kraikub/adapter-memory';
import type {
  ClientRecord,
  ClientStore,
  DeleteClientResult,
  RegisterClientResult,
  UpdateClientResult,
} from '@kraikub/core';

/** The registered clients in the JSON file (an empty list when the file does not exist). */
export async function readClientsFile(path: string): Promise<ClientRecord[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${path}: not valid JSON (${(cause as Error).message})`);
  }
  return parseClients(json, path);
}

/** Writes the list atomically (temp file, then rename), readable by its owner only. */
export async function writeClientsFile(path: string, clients: readonly ClientRecord[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(clients, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

/**
 * A {@link ClientStore} over the clients file, for the clients CLI when no
 * shared store is configured (the provider loads the file at start). One
 * writer at a time: it is an administration tool, not a request path.
 */
export class FileClientStore implements ClientStore {
  constructor(readonly path: string) {}

  async findClient(clientId: string): Promise<ClientRecord | undefined> {
    return (await readClientsFile(this.path)).find((client) => client.id === clientId);
  }

  async registerClient(client: ClientRecord): Promise<RegisterClientResult> {
    const [parsed] = parseClients([client], 'client');
    const clients = await readClientsFile(this.path);
    if (parsed === undefined || clients.some((c) => c.id === parsed.id)) return { status: 'exists' };
    await writeClientsFile(this.path, [...clients, parsed]);
    return { status: 'registered' };
  }

  async updateClient(client: ClientRecord): Promise<UpdateClientResult> {
    const [parsed] = parseClients([client], 'client');
    const clients = await readClientsFile(this.path);
    const at = clients.findIndex((c) => c.id === client.id);
    if (parsed === undefined || at < 0) return { status: 'not_found' };
    clients[at] = parsed;
    await writeClientsFile(this.path, clients);
    return { status: 'updated' };
  }

  async deleteClient(clientId: string): Promise<DeleteClientResult> {
    const clients = await readClientsFile(this.path);
    const kept = clients.filter((c) => c.id !== clientId);
    if (kept.length === clients.length) return { status: 'not_found' };
    await writeClientsFile(this.path, kept);
    return { status: 'deleted' };
  }

  listClients(): Promise<ClientRecord[]> {
    return readClientsFile(this.path);
  }
}

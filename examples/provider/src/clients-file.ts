import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseClients } from '@kraikub/adapter-memory';
import type { ClientRecord } from '@kraikub/core';

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

/** Writes the list atomically (temp file, then rename). */
export async function writeClientsFile(path: string, clients: readonly ClientRecord[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(clients, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  createJoseSigner,
  generateSigningKey,
  type JoseSigner,
  type PrivateJwks,
  parsePrivateJwks,
} from '@kraikub/jose';
import { StartupError } from './storage.ts';
import type { AppStore } from './store/app-store.ts';

/** Reads the keys file (a private JWKS), or `undefined` when there is none. */
export async function readKeysFile(path: string): Promise<PrivateJwks | undefined> {
  if (!existsSync(path)) return undefined;
  return parsePrivateJwks(await readFile(path, 'utf8'), { source: path });
}

/** Writes the keys file atomically, readable by its owner only: it holds private keys. */
export async function writeKeysFile(path: string, keys: PrivateJwks): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

/** Where the development key is kept in a shared store, so every process signs with the same one. */
const developmentKey = 'signing-keys:development';
const keepForever = 10 * 366 * 24 * 3600 * 1000;

/**
 * The ID Token signer. Keys come from `SIGNING_KEYS` (a private JWKS as
 * JSON: what a secret manager injects), else from `SIGNING_KEYS_FILE`
 * (generated there on a first start). With neither, a development key is
 * generated once and kept in the app's store (memory: this process only;
 * Redis or PostgreSQL: shared, so every process signs alike); the start-up
 * banner says so (`source`): production keys come from the host's secrets.
 */
export async function openSigner(
  settings: { readonly signingKeys?: string | undefined; readonly signingKeysFile?: string | undefined },
  store: AppStore,
  say: (line: string) => void = console.error,
): Promise<{ signer: JoseSigner; source: string }> {
  try {
    if (settings.signingKeys !== undefined) {
      const keys = parsePrivateJwks(settings.signingKeys, { source: 'SIGNING_KEYS' });
      return { signer: await createJoseSigner({ keys }), source: 'SIGNING_KEYS' };
    }
    if (settings.signingKeysFile !== undefined) {
      let keys = await readKeysFile(settings.signingKeysFile);
      if (keys === undefined) {
        keys = { keys: [await generateSigningKey('ES256')] };
        await writeKeysFile(settings.signingKeysFile, keys);
        say(`Generated an ES256 signing key in ${settings.signingKeysFile}.`);
      }
      return { signer: await createJoseSigner({ keys }), source: settings.signingKeysFile };
    }
    let keys = await store.get<PrivateJwks>(developmentKey);
    if (keys === undefined) {
      const generated = { keys: [await generateSigningKey('ES256')] };
      // Of processes starting together, the first key stored wins; the others read it.
      keys = (await store.setIfAbsent(developmentKey, generated, keepForever))
        ? generated
        : await store.get<PrivateJwks>(developmentKey);
      if (keys === undefined) throw new Error('the development key vanished');
    }

    return { signer: await createJoseSigner({ keys }), source: 'a development key in the app store' };
  } catch (error) {
    throw new StartupError(`Cannot use the signing keys: ${(error as Error).message}`);
  }
}

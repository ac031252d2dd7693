import { parseArgs } from 'node:util';
import { generateSigningKey, type Jwk, type PrivateJwks, type SigningAlgorithm } from '@kraikub/jose';
import { loadSettings } from './config.ts';
import { readKeysFile, writeKeysFile } from './signing.ts';

export const usage = `Rotates the ID Token signing keys kept in SIGNING_KEYS_FILE.

Usage:
  pnpm keys list
  pnpm keys add [--alg ES256|RS256|EdDSA] [--kid KID]
  pnpm keys activate KID
  pnpm keys retire KID
  pnpm keys --help

The first key of the file signs; every key is published at /jwks. A rotation:
  1. pnpm keys add               publish the next key (it does not sign yet);
     restart every instance, then wait longer than clients cache the JWKS
     (the provider says max-age=300).
  2. pnpm keys activate KID      the new key signs; the old one stays published;
     restart, then wait until every ID Token of the old key has expired.
  3. pnpm keys retire OLD_KID    stop publishing the old key; restart.

The file holds private keys: it is written readable by its owner only. With
SIGNING_KEYS set (keys from a secret manager) this command does not apply:
rotate in the secret manager, in the same three steps.`;

type Out = (line: string) => void;

const optionSpec = {
  alg: { type: 'string' },
  kid: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const algorithms: readonly SigningAlgorithm[] = ['ES256', 'RS256', 'EdDSA'];

/** Runs the CLI; resolves the exit code (0 done, 1 refused, 2 a usage error). */
export async function main(
  argv: readonly string[],
  io: { readonly out?: Out; readonly err?: Out; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const out = io.out ?? console.log;
  const err = io.err ?? console.error;
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? err : out)(usage);
    return command === undefined ? 2 : 0;
  }
  if (!['list', 'add', 'activate', 'retire'].includes(command)) {
    err(`Unknown command ${JSON.stringify(command)}.\n\n${usage}`);
    return 2;
  }
  let values: { alg?: string; kid?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...rest],
      options: optionSpec,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    err(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help === true) {
    out(usage);
    return 0;
  }
  const settings = loadSettings(io.env ?? process.env);
  const path = settings.signingKeysFile;
  if (path === undefined) {
    err('Set SIGNING_KEYS_FILE to the keys file the provider reads (it is created on first use).');
    return 1;
  }
  const keys: readonly Jwk[] = (await readKeysFile(path))?.keys ?? [];
  const save = (next: readonly Jwk[]) => writeKeysFile(path, { keys: next } satisfies PrivateJwks);

  if (command === 'list') {
    if (keys.length === 0) out(`No keys in ${path} yet: the provider generates one on its first start.`);
    keys.forEach((key, index) => {
      out([key.kid ?? '(no kid)', key.alg ?? '?', index === 0 ? 'signing' : 'published'].join('\t'));
    });
    return 0;
  }
  if (command === 'add') {
    if (positionals.length > 0) {
      err(`add takes no arguments besides --alg and --kid.\n\n${usage}`);
      return 2;
    }
    const alg = (values.alg ?? 'ES256') as SigningAlgorithm;
    if (!algorithms.includes(alg)) {
      err(`--alg must be one of ${algorithms.join(', ')}.`);
      return 2;
    }
    if (values.kid !== undefined && keys.some((key) => key.kid === values.kid)) {
      err(`A key ${values.kid} is already in ${path}.`);
      return 1;
    }
    const key = await generateSigningKey(alg, values.kid);
    await save([...keys, key]);
    out(
      keys.length === 0
        ? `Added ${key.kid} (${alg}) to ${path}: it signs from the next start.`
        : `Added ${key.kid} (${alg}) to ${path}, published only. Restart every instance, wait out the JWKS cache, then: pnpm keys activate ${key.kid}`,
    );
    return 0;
  }
  // activate, retire
  const kid = positionals[0];
  if (kid === undefined || positionals.length > 1) {
    err(`${command} takes one key id.\n\n${usage}`);
    return 2;
  }
  const index = keys.findIndex((key) => key.kid === kid);
  const key = keys[index];
  if (key === undefined) {
    err(`No key ${kid} in ${path}.`);
    return 1;
  }
  if (command === 'activate') {
    if (index === 0) {
      out(`${kid} already signs.`);
      return 0;
    }
    await save([key, ...keys.filter((_, i) => i !== index)]);
    out(`${kid} signs from the next start; ${keys[0]?.kid} stays published until you retire it.`);
    return 0;
  }
  if (index === 0) {
    err(`${kid} is the key that signs: activate another key first.`);
    return 1;
  }
  await save(keys.filter((_, i) => i !== index));
  out(`Retired ${kid}: it is no longer published after the next start.`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}

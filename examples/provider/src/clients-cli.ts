import { parseArgs } from 'node:util';
import { generateClientSecret, webCrypto } from '@kraikub/core';
import { readClientsFile, writeClientsFile } from './clients-file.ts';
import { loadSettings } from './config.ts';

const usage = `Usage:
  pnpm --filter ./examples/provider clients add --name NAME --redirect-uri URI [--redirect-uri URI ...]
        [--public] [--auth client_secret_basic|client_secret_post] [--scope "profile email"] [--id ID]
  pnpm --filter ./examples/provider clients list`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const settings = loadSettings();
  const file = settings.clientsFile;
  if (command === 'list') {
    for (const c of await readClientsFile(file))
      console.log(`${c.id}\t${c.name}\t${c.tokenEndpointAuthMethod}\t${c.redirectUris.join(' ')}`);
    return 0;
  }
  if (command !== 'add') {
    console.error(usage);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      public: { type: 'boolean', default: false },
      auth: { type: 'string', default: 'client_secret_basic' },
      scope: { type: 'string', default: 'profile email offline_access' },
      id: { type: 'string' },
    },
    strict: true,
  });
  if (values.name === undefined || values['redirect-uri'] === undefined) {
    console.error(usage);
    return 2;
  }
  const existing = await readClientsFile(file);
  const id = values.id ?? `client-${Buffer.from(webCrypto.randomBytes(9)).toString('base64url')}`;
  if (existing.some((c) => c.id === id)) {
    console.error(`A client with id ${id} already exists in ${file}.`);
    return 1;
  }
  const secret = values.public ? undefined : await generateClientSecret(webCrypto);
  const record = {
    id,
    name: values.name,
    redirectUris: values['redirect-uri'],
    tokenEndpointAuthMethod: values.public ? 'none' : values.auth,
    ...(secret === undefined ? {} : { secretHash: secret.secretHash }),
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: values.scope.split(' ').filter(Boolean),
  };
  const [validated] = await import('@kraikub/adapter-memory').then((m) =>
    m.parseClients([record], 'new client'),
  );
  if (validated === undefined) return 1;
  await writeClientsFile(file, [...existing, validated]);
  console.log(`client_id:     ${id}`);
  if (secret !== undefined) {
    console.log(`client_secret: ${secret.secret}`);
    console.log('Store the secret now: it is shown once; only its SHA-256 is kept.');
  }
  console.log(`Saved to ${file}. Restart the provider to load it.`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);

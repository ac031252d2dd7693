import { generateSigningKey } from '../generate.ts';
import type { SigningAlgorithm } from '../types.ts';
import { isSigningAlgorithm, signingAlgorithms } from './algorithms.ts';

export const usage = `Usage: kraikub-jose-keygen [--alg ES256|RS256|EdDSA] [--kid ID]

Prints a private JWKS holding one new signing key, as JSON, to stdout.
  --alg ALG   the JWS algorithm (default ES256; also ${signingAlgorithms.filter((a) => !['ES256', 'RS256', 'EdDSA'].includes(a)).join(', ')})
  --kid ID    the key ID (default: the key's RFC 7638 thumbprint)
  -h, --help  this help

The output is a secret: write it to a secret manager or a file outside the
repository (kraikub-jose-keygen > /run/secrets/jwks.json), never commit it.
`;

export interface KeygenResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The command, free of any runtime: arguments in, exit code and output back. */
export async function runKeygen(args: readonly string[]): Promise<KeygenResult> {
  let alg: SigningAlgorithm = 'ES256';
  let kid: string | undefined;
  const refuse = (problem: string): KeygenResult => ({
    code: 2,
    stdout: '',
    stderr: `${problem}\n\n${usage}`,
  });
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-h' || arg === '--help') return { code: 0, stdout: usage, stderr: '' };
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    if (name !== '--alg' && name !== '--kid') return refuse(`Unknown argument: ${arg}`);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') return refuse(`${name} needs a value`);
    if (name === '--kid') kid = value;
    else if (isSigningAlgorithm(value)) alg = value;
    else return refuse(`Unsupported --alg ${value}`);
  }
  const key = await generateSigningKey(alg, kid);
  return { code: 0, stdout: `${JSON.stringify({ keys: [key] }, null, 2)}\n`, stderr: '' };
}

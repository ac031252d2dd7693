#!/usr/bin/env node
// kraikub-jose-keygen: the only file that touches the process; runKeygen does the work.
import { runKeygen } from './lib/keygen.ts';

runKeygen(process.argv.slice(2)).then(
  ({ code, stdout, stderr }) => {
    process.stdout.write(stdout);
    process.stderr.write(stderr);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`kraikub-jose-keygen: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);

/**
 * `node --import tsx lib/host-node.ts [node arguments]`: runs Node with those
 * arguments on the machine's own Node ({@link hostNode}), not on the `node`
 * devDependency's Node 22 that `pnpm` scripts find first on `PATH`. The
 * package scripts that must stay on the host's Node (`profile`, `sweep`) go
 * through it; `run.ts` re-runs itself (`stayOnHostNode`).
 */
import { spawnSync } from 'node:child_process';
import { hostNode } from './process.ts';

const run = spawnSync(hostNode(), process.argv.slice(2), { stdio: 'inherit' });
process.exit(run.status ?? 1);

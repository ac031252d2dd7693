import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { build } from 'esbuild';

/** What the `workerd` npm package exports that this test uses: the path of its platform binary. */
interface WorkerdPackage {
  default: string;
}

/** A running workerd serving the flow's Worker on a loopback port. */
export interface RunningWorkerd {
  url: string;
  stop(): Promise<void>;
}

const here = new URL('../', import.meta.url).pathname;

/**
 * The last date before workerd turned nodejs_compat on by default (2026-08-04,
 * as workerd itself warns when the flag is given): from then on Node's modules
 * (`node:fs`, bare `fs/promises`) and globals (`process`, `Buffer`) are there
 * unasked, and `no_nodejs_compat` takes only some of them away. On this date
 * a Worker has Web APIs only, so the flow passing proves the packages need no
 * Node. The installed workerd supports every date up to its own.
 */
const compatibilityDate = '2026-08-03';

/**
 * Bundles worker.mjs (the flow over the packages' dist builds) into one module
 * Worker, writes a workerd config for it beside the bundle, and starts
 * `workerd serve` on 127.0.0.1 with a port the kernel picks. workerd says which
 * one on its control descriptor once it listens, so there is no port to guess
 * and no polling. Rejects if workerd exits or does not listen within `timeoutMs`.
 */
export async function startWorkerd(timeoutMs = 30_000): Promise<RunningWorkerd> {
  // Resolving the package also finds its platform binary (it throws when the
  // platform package is missing): no download, no install script needed.
  const workerd = createRequire(`${here}package.json`)('workerd') as WorkerdPackage;
  const dir = await mkdtemp(join(tmpdir(), 'kraikub-workerd-'));
  try {
    await build({
      entryPoints: [`${here}worker.mjs`],
      outfile: join(dir, 'worker.js'),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      // Node built-ins stay imports, neither bundled nor shimmed: workerd
      // (without Node compatibility, see above) refuses to load a Worker that
      // imports one, which is what this test is for. The dist builds reach one
      // only lazily, which esbuild must still resolve: adapter-memory's
      // `loadClientsFile` does `import('fs/promises')` when called, and the flow
      // never calls it.
      external: builtinModules.flatMap((name) => [name, `node:${name}`]),
      logLevel: 'silent',
    });
    await writeFile(join(dir, 'config.capnp'), config(compatibilityDate));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const child = spawn(workerd.default, ['serve', join(dir, 'config.capnp'), '--control-fd=3'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk) => {
    log += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    log += chunk;
  });
  const stop = async () => {
    await kill(child);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const port = await listening(child, () => log, timeoutMs);
    return { url: `http://127.0.0.1:${port}/`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function config(compatibilityDate: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "flow", worker = .flow)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "flow")],
);

const flow :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${compatibilityDate}",
);
`;
}

/** Resolves with the port from workerd's `{"event":"listen","socket":"http","port":N}` control line. */
function listening(child: ChildProcess, log: () => string, timeoutMs: number): Promise<number> {
  const control = child.stdio[3] as Readable;
  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`workerd ${reason}\n${log()}`));
    };
    const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(`could not start: ${error.message}`));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before listening`));
    control.on('data', (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n').slice(0, -1)) {
        const message = JSON.parse(line) as { event?: string; socket?: string; port?: number };
        if (message.event === 'listen' && message.socket === 'http' && message.port !== undefined) {
          clearTimeout(timer);
          resolve(message.port);
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  // No pid: it never started (the 'error' event said why), so there is nothing to end.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

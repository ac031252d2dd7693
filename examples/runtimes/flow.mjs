// Runs the flow (flow-lib.mjs) once and prints one JSON line with what it saw:
// the command the runtimes test starts on Node, Bun and Deno.
import { runFlow } from './flow-lib.mjs';

console.log(JSON.stringify(await runFlow()));

// The flow (flow-lib.mjs) as a module Worker for Cloudflare Workers (workerd):
// every request runs it once and answers with what it saw, as JSON.
import { runFlow } from './flow-lib.mjs';

export default {
  async fetch() {
    return Response.json(await runFlow());
  },
};

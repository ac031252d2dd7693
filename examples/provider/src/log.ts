import { readClientCredentials } from '@kraikub/core';
import type { Context, MiddlewareHandler } from 'hono';
import pino from 'pino';

/** Where log lines go: one JSON object per line. */
export type LogLine = (line: string) => void;

/** The client a request names: `client_id` in the query, or the HTTP Basic user (core's own reader). */
function clientOf(c: Context): string | undefined {
  const id = c.req.query('client_id');
  if (id !== undefined) return id.slice(0, 100);
  const authorization = c.req.header('authorization');
  if (authorization === undefined) return undefined;
  const presented = readClientCredentials(authorization, new Map());
  return presented.isOk() ? presented.value.clientId.slice(0, 100) : undefined;
}

/**
 * The request log: pino, one JSON line per request with its request id,
 * method, path (never the query: it may hold a code or a state), status,
 * duration and client. Never a token, code or secret.
 */
export function requestLog(out: LogLine): MiddlewareHandler<{ Variables: { requestId: string } }> {
  const logger = pino(
    { base: null, timestamp: pino.stdTimeFunctions.isoTime, messageKey: 'msg' },
    { write: (line: string) => out(line.trimEnd()) },
  );
  return async (c, next) => {
    const started = performance.now();
    await next();
    logger.info(
      {
        reqId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        ...((client) => (client === undefined ? {} : { client }))(clientOf(c)),
      },
      'request',
    );
  };
}

/** Log lines to standard output. */
export const stdout: LogLine = (line) => process.stdout.write(`${line}\n`);

/**
 * A TCP proxy in front of PostgreSQL, to take the server away from a pool
 * without touching the server: `down()` closes the port and resets every
 * connection (unreachable), `hang()` accepts connections and forwards
 * nothing (a black hole), `up()` serves again on the same port.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Resets every connection and stops listening: connections are refused. */
  down(): Promise<void>;
  /** Resets every connection; new ones are accepted and never answered. */
  hang(): Promise<void>;
  /** Resets every open connection, keeps serving. */
  cut(): void;
  /** Serves again, forwarding to the server. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(host: string, port: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  /** Connections accepted in a black hole: reset when it serves again. */
  const hanging = new Set<Socket>();
  let mode: 'forward' | 'hang' = 'forward';
  let server: Server | undefined;
  let listenPort = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        track(client);
        if (mode === 'hang') {
          hanging.add(client);
          return;
        }
        const upstream = connect({ host, port });
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.once('close', () => upstream.destroy());
        upstream.once('close', () => client.destroy());
      });
      s.once('error', reject);
      s.listen(listenPort, '127.0.0.1', () => {
        const address = s.address();
        listenPort = typeof address === 'object' && address !== null ? address.port : 0;
        server = s;
        resolve();
      });
    });
  const cut = () => {
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    cut();
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await open();
  return {
    port: listenPort,
    down: stop,
    hang: async () => {
      mode = 'hang';
      cut();
      if (server === undefined) await open();
    },
    cut,
    up: async () => {
      mode = 'forward';
      for (const socket of hanging) socket.resetAndDestroy();
      hanging.clear();
      if (server === undefined) await open();
    },
    close: stop,
  };
}

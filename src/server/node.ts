/**
 * Runs the app on Node's HTTP server. `startServer` resolves once it listens (port 0 picks a free
 * port) and gives back the URL and a `close()` that ends event streams and the storage.
 */
import { serve, type ServerType } from '@hono/node-server';
import { createServer as createHttpServer, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions } from './app.js';

/** A running server. */
export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the sync server on `host:port` (defaults 127.0.0.1:0). */
export async function startServer(options: AppOptions & { port?: number; host?: string }): Promise<RunningServer> {
  const { app, close, direct } = createApp(options);
  const host = options.host ?? '127.0.0.1';
  let server!: ServerType;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    // A push goes straight to its handler (push-listener.ts); everything else through the app.
    const createServer: typeof createHttpServer = ((opts: ServerOptions, listener: RequestListener) =>
      createHttpServer(opts, (req, res) => direct(req, res) || listener(req, res))) as typeof createHttpServer;
    server = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host, createServer }, resolve);
    server.once('error', reject);
  });
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${info.port}`,
    port: info.port,
    async close() {
      close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await options.storage.close();
    },
  };
}

/**
 * `skein ui`: the viewer over a local store on 127.0.0.1 (never another address), no token.
 * Live updates come from a {@link LocalFeed} that notices writes by any process.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import type { Store } from '../store/store.js';
import { LocalFeed } from './local-feed.js';
import { viewerRoutes } from './routes.js';

/** A running local viewer. */
export interface UiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the viewer over `store` on 127.0.0.1:`port` (0: a free port). */
export async function startUiServer(options: { store: Store; port?: number; name?: string; pollMs?: number }): Promise<UiServer> {
  const feed = new LocalFeed(options.store, options.pollMs);
  const viewer = viewerRoutes({
    storeOf: async () => options.store,
    subscribe: (_ws, listener) => feed.subscribe(listener),
    ...(options.name !== undefined && { localName: options.name }),
  });
  const app = new Hono();
  app.route('/', viewer.routes);
  app.notFound((c) => c.text('not found', 404));
  let server!: ServerType;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: '127.0.0.1' }, resolve);
    server.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${info.port}/`,
    port: info.port,
    async close() {
      viewer.close();
      feed.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

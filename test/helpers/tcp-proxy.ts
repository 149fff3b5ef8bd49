/**
 * A tiny loopback TCP proxy between a client and the sync server, to make the network misbehave
 * on purpose: `down()` cuts every connection and refuses new ones (a device goes offline),
 * `setDelay()` holds each chunk for a while (slow, delayed delivery), and `dropResponses()`
 * forwards requests but destroys the client's socket as soon as the server starts answering
 * (the request was handled, the answer is lost). It counts the bytes it forwards each way.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A running proxy. */
export interface TcpProxy {
  /** The URL clients use instead of the server's. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Responses it destroyed instead of delivering. */
  readonly dropped: number;
  /** Bytes it forwarded: `up` from clients to the server, `down` back (HTTP headers included). */
  readonly bytes: { up: number; down: number };
  /** Cuts every open connection and refuses new ones until `up()`. */
  down(): void;
  up(): void;
  readonly isDown: boolean;
  /** Delays each chunk, either way, by a random time in [min, max] ms (0, 0: none). */
  setDelay(minMs: number, maxMs?: number): void;
  /**
   * Destroys the client socket instead of delivering the next `count` responses (Infinity: all),
   * calling `onDrop` at that moment (e.g. to kill the server right after it committed).
   */
  dropResponses(count: number, onDrop?: () => void): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) in front of `target` (`http://host:port`). `random` drives the delays. */
export async function startTcpProxy(target: string, random: () => number = Math.random): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let connections = 0;
  let dropped = 0;
  let isDown = false;
  let delay: [number, number] = [0, 0];
  let dropLeft = 0;
  let onDropped: (() => void) | undefined;
  const bytes = { up: 0, down: 0 };

  // Chunks keep their order on each side: a chunk waits for the delayed ones before it.
  const pipe = (from: Socket, to: Socket, way: 'up' | 'down', onData?: () => boolean) => {
    let pending = 0;
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      if (onData && !onData()) return;
      bytes[way] += chunk.length;
      const [min, max] = delay;
      const ms = max > 0 ? min + random() * (max - min) : 0;
      if (ms === 0 && pending === 0) return void to.write(chunk);
      pending++;
      chain = chain
        .then(() => new Promise<void>((r) => setTimeout(r, ms)))
        .then(() => {
          pending--;
          if (!to.destroyed) to.write(chunk);
        });
    });
  };

  const server: Server = createServer((client) => {
    connections++;
    if (isDown) return void client.destroy();
    const upstream = connect(Number(port), hostname);
    open.add(client);
    open.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down', () => {
      if (dropLeft <= 0) return true;
      // The server has handled the request and begun its answer: the client never sees it.
      dropLeft--;
      dropped++;
      end();
      onDropped?.();
      return false;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    get dropped() {
      return dropped;
    },
    bytes,
    get isDown() {
      return isDown;
    },
    down() {
      isDown = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    up() {
      isDown = false;
    },
    setDelay(minMs, maxMs = minMs) {
      delay = [minMs, maxMs];
    },
    dropResponses(count, onDrop) {
      dropLeft = count;
      onDropped = onDrop;
    },
    async close() {
      for (const s of open) s.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

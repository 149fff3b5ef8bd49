/**
 * A tiny loopback TCP proxy between a client and the sync server, to make the network misbehave
 * on purpose: `down()` cuts every connection and refuses new ones (a device goes offline),
 * `setDelay()` holds each chunk for a while (slow, delayed delivery), and `dropResponses()`
 * forwards requests but destroys the client's socket as soon as the server starts answering
 * (the request was handled, the answer is lost). It counts the bytes it forwards each way.
 *
 * `chaos()` turns on random faults, decided per connection with a seeded `random`: `drop` (the
 * answer is lost), `reset` (the answer is cut by a TCP reset part-way through), `truncate` (the
 * answer is cut by a clean close part-way through: a short body), `duplicate` (every request is
 * also sent a second time, on a connection of its own whose answers are thrown away). `faults`
 * counts what was injected.
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
  /** Random faults per connection (probabilities, each in [0, 1]); undefined turns them off. */
  chaos(options: ChaosOptions | undefined): void;
  /** Faults injected so far, by kind (`drop`, `reset`, `truncate`, `duplicate`, `down`). */
  readonly faults: Map<string, number>;
  close(): Promise<void>;
}

/** Probabilities of the random faults of {@link TcpProxy.chaos}, and the random source. */
export interface ChaosOptions {
  random: () => number;
  drop?: number;
  reset?: number;
  truncate?: number;
  duplicate?: number;
}

type Fault = 'drop' | 'reset' | 'truncate' | 'duplicate' | undefined;

function pickFault(c: ChaosOptions | undefined): Fault {
  if (!c) return undefined;
  let x = c.random();
  for (const kind of ['drop', 'reset', 'truncate', 'duplicate'] as const) {
    const p = c[kind] ?? 0;
    if (x < p) return kind;
    x -= p;
  }
  return undefined;
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
  let chaos: ChaosOptions | undefined;
  const faults = new Map<string, number>();
  const count = (kind: string) => faults.set(kind, (faults.get(kind) ?? 0) + 1);
  const bytes = { up: 0, down: 0 };

  // Chunks keep their order on each side: a chunk waits for the delayed ones before it.
  const pipe = (from: Socket, to: Socket, way: 'up' | 'down', onData?: (chunk: Buffer) => boolean) => {
    let pending = 0;
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      if (onData && !onData(chunk)) return;
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
    const fault = pickFault(chaos);
    if (fault === 'duplicate') {
      // The same request bytes reach the server twice; the second connection's answers are dropped.
      count('duplicate');
      const shadow = connect(Number(port), hostname);
      open.add(shadow);
      shadow.on('error', () => shadow.destroy()).on('close', () => open.delete(shadow));
      shadow.on('data', () => undefined);
      client.on('data', (chunk: Buffer) => void (shadow.destroyed || shadow.write(chunk)));
      client.on('close', () => setTimeout(() => shadow.destroy(), 200));
    }
    let faultDone = fault === undefined || fault === 'duplicate';
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down', (chunk) => {
      if (!faultDone) {
        faultDone = true;
        count(fault!);
        if (fault === 'drop') {
          end();
          return false;
        }
        // A part of the answer gets through, then the connection is cut.
        const keep = chunk.subarray(0, Math.floor((chaos?.random() ?? 0.5) * chunk.length));
        client.write(keep, () => {
          if (fault === 'reset') client.resetAndDestroy();
          else client.end();
          upstream.destroy();
        });
        return false;
      }
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
      count('down');
      for (const s of open) s.destroy();
      open.clear();
    },
    up() {
      isDown = false;
    },
    setDelay(minMs, maxMs = minMs) {
      delay = [minMs, maxMs];
    },
    dropResponses(n, onDrop) {
      dropLeft = n;
      onDropped = onDrop;
    },
    chaos(options) {
      chaos = options;
    },
    faults,
    async close() {
      for (const s of open) s.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

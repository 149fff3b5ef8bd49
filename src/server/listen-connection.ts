/**
 * The dedicated PostgreSQL connection that LISTENs for other server instances' pokes, kept alive
 * across database restarts: when it is lost (an error or an end), it is opened again with
 * exponential backoff and full jitter (250 ms doubling to 30 s) until LISTEN succeeds, and then
 * `onRestored` runs so that the server can poke its clients about anything missed while it was
 * down. Its state is reported on `/healthz` and `/metrics`.
 */
import { createRequire } from 'node:module';

/** The slice of pg's Client used here. */
interface PgListenClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  on(event: 'end', fn: () => void): void;
  end(): Promise<void>;
}

/** What the LISTEN connection is doing now. */
export interface ListenState {
  state: 'listening' | 'reconnecting' | 'closed';
  /** How many times it was re-established after a loss. */
  reconnects: number;
  /** When it was lost (ms since the epoch), while reconnecting. */
  downSince?: number;
  /** The error that ended the last connection or attempt. */
  lastError?: string;
}

/** Options of {@link ListenConnection}. */
export interface ListenOptions {
  connectionString: string;
  channel: string;
  onNotification(payload: string): void;
  /** Runs after a lost connection is listening again. */
  onRestored(): void;
  /** Backoff bounds (default 250 ms and 30 s). */
  minDelayMs?: number;
  maxDelayMs?: number;
  log?: (line: string) => void;
}

/** See the module comment. */
export class ListenConnection {
  private client: PgListenClient | undefined;
  private status: ListenState = { state: 'reconnecting', reconnects: 0 };
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** While an attempt is under way its own failure schedules the next one, not the client's events. */
  private opening = false;
  private readonly log: (line: string) => void;

  constructor(private readonly options: ListenOptions) {
    this.log = options.log ?? ((line) => console.error(line));
  }

  /** Connects and LISTENs; the first failure throws (the server does not start without its database). */
  async start(): Promise<void> {
    await this.open();
  }

  /** The current state, for health and metrics. */
  state(): ListenState {
    return { ...this.status };
  }

  private async open(): Promise<void> {
    const require = createRequire(import.meta.url);
    const pg = require('pg') as { Client: new (config: { connectionString: string; connectionTimeoutMillis?: number }) => PgListenClient };
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 10_000 });
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel === this.options.channel && msg.payload) this.options.onNotification(msg.payload);
    });
    this.opening = true;
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
    } catch (err) {
      if (this.client === client) this.client = undefined;
      await client.end().catch(() => undefined);
      throw err;
    } finally {
      this.opening = false;
    }
    if (this.status.state === 'closed') {
      await client.end().catch(() => undefined);
      return;
    }
    this.status = { state: 'listening', reconnects: this.status.reconnects };
  }

  private lost(client: PgListenClient, err: Error): void {
    if (this.opening || this.client !== client || this.status.state === 'closed') return;
    this.client = undefined;
    void client.end().catch(() => undefined);
    this.status = { state: 'reconnecting', reconnects: this.status.reconnects, downSince: Date.now(), lastError: err.message };
    this.log(`skein serve: LISTEN connection lost (${err.message}); live pokes between instances pause until it is back`);
    this.schedule();
  }

  private schedule(): void {
    const min = this.options.minDelayMs ?? 250;
    const max = this.options.maxDelayMs ?? 30_000;
    const ceiling = Math.min(max, min * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(min / 2, Math.random() * ceiling);
    this.timer = setTimeout(() => void this.retry(), delay);
    this.timer.unref();
  }

  private async retry(): Promise<void> {
    this.timer = undefined;
    if (this.status.state === 'closed') return;
    try {
      await this.open();
    } catch (err) {
      this.status = { ...this.status, lastError: (err as Error).message };
      this.schedule();
      return;
    }
    if (this.status.state !== 'listening') return;
    this.attempt = 0;
    this.status = { state: 'listening', reconnects: this.status.reconnects + 1 };
    this.log('skein serve: LISTEN connection re-established');
    this.options.onRestored();
  }

  /** Stops listening and reconnecting. */
  async close(): Promise<void> {
    this.status = { ...this.status, state: 'closed' };
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}

/**
 * A tiny Prometheus registry: counters, one gauge, one latency histogram, rendered as the text
 * exposition format on `/metrics`. Label values are escaped; maps are `Map`s.
 */

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** The server's metrics. */
export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly histogram = new Map<string, { buckets: number[]; sum: number; count: number }>();
  /** Open `/v1/events` streams. */
  eventStreams = 0;

  constructor() {
    this.define('skein_http_requests_total', 'HTTP requests by route and status.');
    this.define('skein_sync_pushed_ops_total', 'Ops accepted from pushes.');
    this.define('skein_sync_push_threads_total', 'Pushed threads by result status.');
    this.define('skein_sync_conflicts_total', 'Pushes answered with a conflict.');
    this.define('skein_sync_pulled_ops_total', 'Ops sent in pulls.');
  }

  private define(name: string, help: string): void {
    this.counters.set(name, { help, values: new Map() });
  }

  /** Adds `by` to a counter with these labels. */
  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    const c = this.counters.get(name);
    if (!c) throw new Error(`unknown metric ${name}`);
    const key = labelText(labels);
    c.values.set(key, (c.values.get(key) ?? 0) + by);
  }

  /** Records one request's latency. */
  observe(route: string, seconds: number): void {
    const key = labelText({ route });
    let h = this.histogram.get(key);
    if (!h) this.histogram.set(key, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.buckets[i]!++;
    });
    h.sum += seconds;
    h.count++;
  }

  /** The Prometheus text exposition. */
  render(): string {
    const lines: string[] = [];
    for (const [name, c] of this.counters) {
      lines.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of c.values) lines.push(`${name}${labels} ${v}`);
    }
    lines.push('# HELP skein_event_streams Open event streams.', '# TYPE skein_event_streams gauge', `skein_event_streams ${this.eventStreams}`);
    const hn = 'skein_http_request_duration_seconds';
    lines.push(`# HELP ${hn} HTTP request latency by route.`, `# TYPE ${hn} histogram`);
    for (const [labels, h] of this.histogram) {
      const inner = labels.slice(1, -1);
      BUCKETS.forEach((b, i) => lines.push(`${hn}_bucket{${inner},le="${b}"} ${h.buckets[i]}`));
      lines.push(`${hn}_bucket{${inner},le="+Inf"} ${h.count}`, `${hn}_sum${labels} ${h.sum}`, `${hn}_count${labels} ${h.count}`);
    }
    return lines.join('\n') + '\n';
  }
}

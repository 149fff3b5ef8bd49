/**
 * Formatting for the command line's human output: costs, token counts, times, tables and short
 * one-line excerpts. `--json` output does not go through here: it prints the library's own values.
 */

/** A cost in US dollars as `$0.0123` (four decimals: the cent fractions agents actually spend). */
export function formatCost(usd: number): string {
  return `$${usd.toFixed(4)}`;
}

/** A count with thousands separators (`12,345`). */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** A time in ms as `2025-01-31 14:05:09` (UTC), the same on every machine. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** `n thing` / `n things`. */
export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** A value on one line, at most `max` characters (strings as they are, anything else as JSON). */
export function excerpt(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** One column of {@link table}: numbers read best aligned right. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Rows under headers, padded into columns two spaces apart; the last column is not padded. */
export function table(columns: Column[], rows: string[][]): string[] {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        if (i === cells.length - 1 && columns[i]?.align !== 'right') return cell;
        return columns[i]?.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}

/**
 * Text from threads (titles, messages, tool output, also ones synced from other devices) is data,
 * not instructions for the terminal: printed raw, an ANSI or OSC escape sequence in it could
 * recolour or clear the screen, rewrite the window title, plant a hyperlink or hide text. On a
 * terminal every control character is shown escaped instead (`\x1b`, `\r`, `\x9b`), as are the
 * bidirectional overrides that make text read differently from what it holds. Tabs and line
 * breaks stay (commands print line by line).
 */

// C0 controls but tab and line feed, DEL, C1 controls, and the bidi embedding/override/isolate marks.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

const NAMED = new Map([['\r', '\\r']]);

/** `text` with every control character written as a visible escape. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const named = NAMED.get(ch);
    if (named) return named;
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

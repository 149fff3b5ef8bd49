/**
 * Titles and messages (typed here or synced from another device) carrying ANSI/OSC escape
 * sequences are printed escaped on a terminal: `skein ls` and `skein show` run under a real
 * pseudo-terminal (`script`) never emit an ESC, BEL, CR or C1 control from a thread's text. Piped
 * output and `--json` stay byte-exact.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, skein, skeinJson } from '../helpers/cli.js';

const EVIL_TITLE = 'ok\x1b]0;pwned\x07\x1b[2J\rtitle\u202e';
const EVIL_CONTENT = 'hello \x1b[31mred\x1b[0m \x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\ \x9b6n end';

const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs the CLI under a pseudo-terminal; answers what the terminal received. */
function onTerminal(args: string[]): string {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qfec', cmd, '/dev/null'], { encoding: 'latin1', env: { ...process.env, SKEIN_HOME: '' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('the command line on a terminal escapes control characters from thread text', { skip: !hasScript && 'the script command (util-linux) is not installed' }, () => {
  let dir: string;
  let id: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-tty-'));
    await skeinJson(['init', '--dir', dir]);
    id = (await skeinJson<{ id: string }>(['new', '--title', EVIL_TITLE, '--dir', dir])).id;
    await skeinJson(['append', id, '--role', 'user', '--content', EVIL_CONTENT, '--dir', dir]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('ls and show print the text visibly escaped, with no raw ESC, BEL, CR or C1', () => {
    for (const args of [['ls', '--dir', dir], ['show', id, '--dir', dir]]) {
      const out = onTerminal(args);
      // The pty turns each \n into \r\n: drop those, then nothing raw may remain.
      const text = out.replace(/\r\n/g, '\n');
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(text, /[\x1b\x07\r\x9b]/, `${args[0]}: ${JSON.stringify(text)}`);
      assert.match(text, /\\x1b\]0;pwned\\x07/, `${args[0]} shows the sequence escaped`);
    }
    assert.match(onTerminal(['show', id, '--dir', dir]), /\\x1b\[31mred/);
  });

  test('piped output and --json keep the text exactly', async () => {
    const shown = await skein(['show', id, '--dir', dir]);
    assert.ok(shown.stdout.includes(EVIL_CONTENT), 'piped: as written');
    const json = await skeinJson<{ title: string; messages: { content: string }[] }>(['show', id, '--dir', dir]);
    assert.equal(json.title, EVIL_TITLE);
    assert.equal(json.messages[0]!.content, EVIL_CONTENT);
  });
});

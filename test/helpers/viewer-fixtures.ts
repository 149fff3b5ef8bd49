/**
 * Threads for the viewer's end-to-end tests, written through the public Store API into a real
 * store directory: the demo session (tool calls, sub-agents, a summary), a thread with markdown,
 * code, thinking and an image, a hostile thread whose text is HTML and script, a thread with file
 * changes (one rolled back), and optionally a very long thread made fast in batches.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Delta, type ThreadID } from '../../src/index.js';
import { playDemoSession, type DemoThreads } from '../../src/cli/demo-session.js';

/** A 16x16 gradient PNG. */
export const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAABmklEQVR4nA3R0QBAIQxA0SGEMIQhhBDCEEIYwhBCGEKf9zOEEEJ4T+EcQYQmqGBCF4bgwhRCSGEJJWzhCFd4IkijNbRhjd4YDW/MRjSysRrV2I3TuI3XBFGaooopXRmKK1MJJZWllLKVo1zlqSBGM9QwoxvDcGMaYaSxjDK2cYxrPBOk0zrasU7vjI53Zic62Vmd6uzO6dzO64IM2kAHNuiDMfDBHMQgB2tQgz04gzt4QxCnOeqY053huDOdcNJZTjnbOc51ngsyaROd2KRPxsQncxKTnKxJTfbkTO7k/d4StEADC3owAg9mEEEGK6hgBye4wYv/IWmJJpb0ZCSezCSSTFZSyU5OcpOX/8OiLXRhi74YC1/MRSxysRa12IuzuIu3/oeiFVpY0YtReDGLKLJYRRW7OMUtXv0Pm7bRjW36Zmx8Mzexyc3a1GZvzuZu3v4fDu2gBzv0wzj4YR7ikId1qMM+nMM9vPM/XNpFL3bpl3Hxy7zEJS/rUpd9OZd7efd/eLSHPuzRH+Phj/mIRz7Wox77cR738d4HJoO4EDEGv5kAAAAASUVORK5CYII=';

/** Text of the hostile thread: each line would run script if it reached the page as HTML. */
export const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  '[click me](javascript:window.__pwned=3)',
  '<a href="#" onclick="window.__pwned=4">raw link</a>',
].join('\n\n');

/** What was seeded. */
export interface ViewerSeed {
  /** The demo session's threads (unless `demo: false`). */
  demo?: DemoThreads;
  rich: ThreadID;
  hostile: ThreadID;
  files: ThreadID;
  big?: { id: ThreadID; size: number };
}

/** Seeds `dir` (a store directory); `workspace` holds the files of the file-change thread. */
export async function seedViewerStore(dir: string, options: { workspace: string; bigMessages?: number; demo?: boolean }): Promise<ViewerSeed> {
  const store = await openStore({ dir, durability: 'normal' });
  try {
    const demo = options.demo === false ? undefined : await playDemoSession(store);

    const rich = await store.createThread({ title: 'Markdown, thinking and images', meta: { source: { agent: 'claude-code', sessionId: 's-1' } } });
    await store.append(rich.id, [
      { type: 'user:message', message: { content: 'Show me **bold**, a list:\n\n- one\n- two\n\nand some code:\n\n```ts\nconst answer: number = 42;\nfunction twice(x: number) { return 2 * x; }\n```' } },
      {
        type: 'assistant:message',
        message: {
          content: 'Here is the picture you asked for, and a command that fails.',
          thinking: 'The user wants an image; I should also try the build.',
          images: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }],
          toolCalls: [{ id: 'call_build', name: 'run_command', input: { command: 'npm run build' } }],
          resourceUsage: { model: 'claude-sonnet', inputTokens: 1200, outputTokens: 300, costUSD: 0.0081 },
        },
      },
      { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'call_build', output: 'error TS2322: Type string is not assignable to type number', isError: true }] } },
      { type: 'assistant:message', message: { content: 'The build fails on a type error; fixing it next.', resourceUsage: { model: 'claude-sonnet', inputTokens: 1500, outputTokens: 40, costUSD: 0.0051 } } },
    ]);

    const hostile = await store.createThread({ title: 'Hostile <b>title</b><script>window.__pwned = 5</script>' });
    await store.append(hostile.id, [
      { type: 'user:message', message: { content: HOSTILE } },
      {
        type: 'assistant:message',
        message: { content: 'Running it.', toolCalls: [{ id: 'call_x', name: '<img src=x onerror="window.__pwned=6">', input: { html: '<script>window.__pwned=7</script>' } }] },
      },
      { type: 'user:message', message: { content: '', toolResults: [{ toolCallId: 'call_x', output: '<img src=x onerror="window.__pwned=8">' }] } },
    ]);

    mkdirSync(join(options.workspace, 'src'), { recursive: true });
    writeFileSync(join(options.workspace, 'src', 'login.ts'), 'export function login() {\n  sessions.create(user.id);\n  return redirect();\n}\n');
    const files = await store.createThread({ title: 'Edits files', env: { cwd: options.workspace } });
    await store.append(files.id, { type: 'user:message', message: { content: 'Await the session, and add a note.' } });
    const fixed = 'export async function login() {\n  await sessions.create(user.id);\n  return redirect();\n}\n';
    await store.files.recordFileChange(files.id, 'op-fix', { path: 'src/login.ts', type: 'modify', newContent: fixed });
    writeFileSync(join(options.workspace, 'src', 'login.ts'), fixed);
    await store.files.recordFileChange(files.id, 'op-note', { path: 'NOTE.md', type: 'create', newContent: 'a note\n' });
    writeFileSync(join(options.workspace, 'NOTE.md'), 'a note\n');
    await store.append(files.id, { type: 'assistant:message', message: { content: 'Done; the note was not needed, rolled back.' } });
    await store.files.rollbackOperation(files.id, 'op-note');

    const seed: ViewerSeed = { ...(demo && { demo }), rich: rich.id, hostile: hostile.id, files: files.id };
    if (options.bigMessages) seed.big = { id: await bigThread(store, options.bigMessages), size: options.bigMessages };
    return seed;
  } finally {
    await store.close();
  }
}

/** A thread of `size` short messages (`message 0` ... ), appended 2,000 at a time. */
async function bigThread(store: Awaited<ReturnType<typeof openStore>>, size: number): Promise<ThreadID> {
  const t = await store.createThread({ title: `A thread of ${size} messages` });
  for (let start = 0; start < size; start += 2000) {
    const n = Math.min(2000, size - start);
    const deltas: Delta[] = Array.from({ length: n }, (_, j) => ({
      type: (start + j) % 2 ? 'assistant:message' : 'user:message',
      message: { content: `message ${start + j}` },
    }));
    await store.append(t.id, deltas);
  }
  return t.id;
}

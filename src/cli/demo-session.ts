/**
 * The session `skein demo` plays into a store: a coding agent fixing a flaky login test, with
 * tool calls and their results, usage on every model call, two sub-agents and a summary. It goes
 * through the public Store API only, so it is also a worked example of embedding skein.
 */
import type { MessageInput, ResourceUsage, Store, ThreadID, ToolCall, ToolResult } from '../index.js';

/** Prices in USD per million tokens, per model: the one table demo costs are computed from. */
export const MODEL_PRICES = {
  'atlas-large': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'atlas-mini': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
} as const;

/** A model of {@link MODEL_PRICES}. */
export type DemoModel = keyof typeof MODEL_PRICES;

/** Usage of one model call, with its cost from {@link MODEL_PRICES} (rounded to a millionth of a dollar). */
export function priced(model: DemoModel, inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0): ResourceUsage {
  const p = MODEL_PRICES[model];
  const cost = (inputTokens * p.input + outputTokens * p.output + cacheReadTokens * p.cacheRead + cacheWriteTokens * p.cacheWrite) / 1e6;
  return { model, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, costUSD: Math.round(cost * 1e6) / 1e6 };
}

/** The threads the demo made. */
export interface DemoThreads {
  main: ThreadID;
  subAgents: ThreadID[];
  summary: ThreadID;
}

const LOGIN_SPEC = `import { test, expect } from '@playwright/test';

test('logs in with valid credentials', async ({ page }) => {
  await page.goto('/login');
  await page.fill('#email', 'dev@acme.test');
  await page.fill('#password', 'correct-horse');
  await page.click('button[type=submit]');
  await page.waitForSelector('#dashboard', { timeout: 2000 });
  await expect(page.locator('#welcome')).toContainText('Welcome back');
});
`;

const LOGIN_HANDLER = `export async function login(req: Request, res: Response) {
  const user = await users.verify(req.body.email, req.body.password);
  if (!user) return res.status(401).json({ error: 'invalid credentials' });
  sessions.create(user.id).then((sid) => res.cookie('sid', sid, { httpOnly: true }));
  return res.redirect('/dashboard');
}
`;

const REPRO_RESULT = `Running 20 tests using 2 workers
  4 failed
  16 passed (41.2s)

login.spec.ts:8 TimeoutError: waiting for selector '#dashboard': page was redirected to /login?next=%2Fdashboard`;

const TRACE = `12:01:03.114 POST /login -> 302 /dashboard
12:01:03.121 GET /dashboard (no sid cookie) -> 302 /login?next=%2Fdashboard
12:01:03.180 Set-Cookie: sid=9f2c... (after the redirect)`;

const REPRO_FINDING =
  '4 of 20 runs failed (20%). In each failure GET /dashboard arrived without the sid cookie and was sent back to /login; ' +
  'the cookie was set about 60 ms after the redirect. The 2 s timeout is not the cause: the page never reaches /dashboard.';

const SEARCH_FINDING =
  'Three tests log in through the form and then wait for #dashboard: login.spec.ts:8, settings.spec.ts:12 and logout.spec.ts:9. ' +
  'They all go through the same login handler, so a server-side fix covers all three.';

const SUMMARY =
  'The login e2e test flaked (about 20% of CI runs) because login() redirected to /dashboard before the session cookie was set: ' +
  'sessions.create was not awaited. Fix: await the session and set the cookie before redirecting (src/auth/login.ts). ' +
  'Verified: login.spec.ts passed 30 of 30 runs, and the whole e2e suite (48 tests) passes.';

function call(id: string, name: string, input: unknown): ToolCall {
  return { id, name, input };
}

function result(toolCallId: string, output: unknown, isError?: boolean): ToolResult {
  return { toolCallId, output, ...(isError !== undefined && { isError }) };
}

/** Plays the session into `store` and returns the ids of the threads it made. */
export async function playDemoSession(store: Store): Promise<DemoThreads> {
  const user = (id: ThreadID, content: string) => store.append(id, { type: 'user:message', message: { content } });
  const results = (id: ThreadID, toolResults: ToolResult[]) => store.append(id, { type: 'user:message', message: { content: '', toolResults } });
  const assistant = (id: ThreadID, content: string, usage: ResourceUsage, toolCalls?: ToolCall[]) => {
    const message: MessageInput = { content, resourceUsage: usage, ...(toolCalls && { toolCalls }) };
    return store.append(id, { type: 'assistant:message', message });
  };

  const main = await store.createThread({
    title: 'Fix flaky login test',
    env: { cwd: '/home/dev/acme-web' },
    meta: { repo: 'acme/acme-web', branch: 'fix/login-flake' },
  });
  const m = main.id;
  await store.append(m, {
    type: 'system:message',
    message: { content: 'You are a coding agent working in the acme-web repository. Read code before editing it and run the tests after every change.' },
  });
  await user(m, "The login e2e test fails about one run in five on CI with \"Timed out waiting for selector '#dashboard'\". Can you find out why and fix it?");
  await assistant(m, "I'll read the test and the login handler first.", priced('atlas-large', 1850, 96, 0, 1720), [
    call('call_01', 'read_file', { path: 'test/e2e/login.spec.ts' }),
    call('call_02', 'read_file', { path: 'src/auth/login.ts' }),
  ]);
  await results(m, [result('call_01', LOGIN_SPEC), result('call_02', LOGIN_HANDLER)]);
  await assistant(
    m,
    'Two suspects: `sessions.create` is not awaited, so the redirect can reach /dashboard before the cookie is set, and the 2 s timeout is tight for CI. ' +
      'I will have two sub-agents check in parallel: one reproduces the failure, one looks for other tests with the same pattern.',
    priced('atlas-large', 620, 214, 1720, 610),
    [
      call('call_03', 'spawn_agent', { task: 'Reproduce the login flake' }),
      call('call_04', 'spawn_agent', { task: 'Find tests with the same wait pattern' }),
    ],
  );

  const repro = await store.spawnSubAgentThread(m, 'Run test/e2e/login.spec.ts 20 times and report how often and where it fails, with timings.', {
    title: 'Reproduce the login flake',
  });
  await assistant(repro.id, 'Running the login test 20 times.', priced('atlas-mini', 910, 58, 0, 860), [
    call('call_r1', 'run_tests', { command: 'npx playwright test test/e2e/login.spec.ts --repeat-each=20', timeoutMs: 300_000 }),
  ]);
  await results(repro.id, [result('call_r1', REPRO_RESULT, true)]);
  await assistant(repro.id, 'Reading the trace of a failed run.', priced('atlas-mini', 240, 44, 860, 230), [
    call('call_r2', 'read_file', { path: 'test-results/login-logs-in-retry1/trace.txt' }),
  ]);
  await results(repro.id, [result('call_r2', TRACE)]);
  await assistant(repro.id, REPRO_FINDING, priced('atlas-mini', 180, 132, 1090));

  const search = await store.spawnSubAgentThread(m, "Search test/e2e for tests that log in and then wait for '#dashboard'; list them with file and line.", {
    title: 'Find tests with the same wait pattern',
  });
  await assistant(search.id, 'Searching the e2e suite.', priced('atlas-mini', 880, 51, 0, 840), [
    call('call_s1', 'search_files', { pattern: "waitForSelector\\('#dashboard'", path: 'test/e2e' }),
  ]);
  await results(search.id, [
    result('call_s1', [
      { file: 'test/e2e/login.spec.ts', line: 8 },
      { file: 'test/e2e/settings.spec.ts', line: 12 },
      { file: 'test/e2e/logout.spec.ts', line: 9 },
    ]),
  ]);
  await assistant(search.id, 'Checking how settings.spec.ts logs in.', priced('atlas-mini', 210, 40, 840, 200), [
    call('call_s2', 'read_file', { path: 'test/e2e/settings.spec.ts' }),
  ]);
  await results(search.id, [result('call_s2', "test('changes the display name', async ({ page }) => {\n  await loginAs(page, 'dev@acme.test');\n  await page.waitForSelector('#dashboard');\n  ...")]);
  await assistant(search.id, SEARCH_FINDING, priced('atlas-mini', 330, 118, 1040));

  await results(m, [result('call_03', { threadId: repro.id, finding: REPRO_FINDING }), result('call_04', { threadId: search.id, finding: SEARCH_FINDING })]);
  await assistant(m, 'The sub-agents confirm it: the redirect races the session cookie. I will await the session before redirecting.', priced('atlas-large', 540, 188, 2330, 520), [
    call('call_05', 'edit_file', {
      path: 'src/auth/login.ts',
      oldText: "  sessions.create(user.id).then((sid) => res.cookie('sid', sid, { httpOnly: true }));",
      newText: "  const sid = await sessions.create(user.id);\n  res.cookie('sid', sid, { httpOnly: true });",
    }),
  ]);
  await results(m, [result('call_05', 'Edited src/auth/login.ts: 1 hunk, +2 -1')]);
  await assistant(m, 'Running the login test 30 times to check the fix.', priced('atlas-large', 260, 84, 2850, 250), [
    call('call_06', 'run_tests', { command: 'npx playwright test test/e2e/login.spec.ts --repeat-each=30', timeoutMs: 300_000 }),
  ]);
  await results(m, [result('call_06', 'Running 30 tests using 2 workers\n  30 passed (58.7s)')]);
  await assistant(
    m,
    'Fixed. `login()` now awaits `sessions.create` and sets the cookie before redirecting, so /dashboard always sees the session. ' +
      'The login test passed 30 of 30 runs (it failed 4 of 20 before). settings.spec.ts and logout.spec.ts go through the same handler and are fixed by the same change.',
    priced('atlas-large', 310, 236, 3100, 300),
  );
  await user(m, 'Nice. Please run the whole e2e suite once to be sure nothing else broke.');
  await assistant(m, 'Running the full e2e suite.', priced('atlas-large', 140, 61, 3400, 130), [call('call_07', 'run_tests', { command: 'npx playwright test test/e2e' })]);
  await results(m, [result('call_07', 'Running 48 tests using 2 workers\n  48 passed (1.9m)')]);
  await assistant(m, 'All 48 e2e tests pass. Ready for review: one change in src/auth/login.ts.', priced('atlas-large', 120, 38, 3530));

  const summary = await store.createSummaryThread(m, SUMMARY, { title: 'Summary: Fix flaky login test' });
  return { main: m, subAgents: [repro.id, search.id], summary: summary.id };
}

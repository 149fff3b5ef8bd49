import { openStore } from '../src/index.js';
import { SqliteSyncState } from '../src/sync/sync-state.js';
import { tempDir, removeTempDirs } from './helpers.js';
import { startSkeinServer } from './sync-servers.js';
const server = await startSkeinServer('sqlite');
const token = await server.token('w');
const remote = { url: server.url, token, autoStart: false };
const dirA = tempDir('ga');
let a = await openStore({ dir: dirA, remote });
const b = await openStore({ dir: tempDir('gb'), remote });
const t = await a.createThread({ title: 'g' });
await a.sync.now();
await a.append(t.id, { type: 'user:message', message: { content: 'from A' } });
await a.sync.now(); // server v2, A syncedV 2
await b.sync.now();
await b.append(t.id, { type: 'user:message', message: { content: 'from B' } });
await b.sync.now(); // server v3
await a.close();
// A's acknowledgement of v2 is lost (response lost before it was recorded, or sync.db rolled back).
const st = new SqliteSyncState(dirA); st.set(t.id, { ...st.get(t.id), syncedV: 1 }); st.close();
a = await openStore({ dir: dirA, remote });
await a.sync.now();
await a.sync.now();
const serverThread = (await b.getThread(t.id))!;
const aThread = (await a.getThread(t.id))!;
console.log({ serverV: serverThread.v, serverMsgs: serverThread.messages.map((m) => m.content), aV: aThread.v, aMsgs: aThread.messages.map((m) => m.content), aStatus: a.sync.status() });
// one more op from B: does A ever catch up?
await b.append(t.id, { type: 'user:message', message: { content: 'B again' } });
await b.sync.now(); await a.sync.now(); await a.sync.now();
console.log('after another op from B', { aV: (await a.getThread(t.id))!.v, aMsgs: (await a.getThread(t.id))!.messages.map((m) => m.content), lastError: a.sync.status().lastError });
await a.close(); await b.close(); await server.close(); removeTempDirs();

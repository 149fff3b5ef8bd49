/**
 * A store directory copied to a second machine, and a store restored from its own backup, still
 * receive everything: the copy gets a client id of its own (pulls leave out only a device's own
 * ops), and the restored store gets back what it wrote after the backup.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/index.js';
import { useServerProcess, type ServerProcess } from '../helpers/sync-server.js';
import { assertConverged, openDevice, settle, type Device } from '../helpers/sync-devices.js';

describe('copied and restored stores', () => {
  let server!: ServerProcess;
  let token!: string;
  const cleanup = useServerProcess('copies', [], (s, t) => {
    server = s;
    token = t;
  });

  /** A device on an existing directory (removed at the end). */
  async function deviceOn(name: string, dir: string): Promise<Device> {
    const open = () => openStore({ dir, durability: 'normal', remote: { url: server.url, token, autoStart: false, backoffBaseMs: 20, backoffCapMs: 200 } });
    const d: Device = {
      name,
      dir,
      store: await open(),
      async reopen() {
        await d.store.close();
        d.store = await open();
      },
      async close() {
        await d.store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return d;
  }

  test('a copied store directory receives the threads the other copy writes, both ways', async () => {
    const a = await openDevice('orig', server.url, token);
    cleanup.push(() => a.close());
    const t1 = await a.store.createThread({ title: 'before the copy' });
    await settle([a]);
    await a.store.close();
    const copyDir = mkdtempSync(join(tmpdir(), 'skein-copy-'));
    cpSync(a.dir!, copyDir, { recursive: true });
    await a.reopen();
    const b = await deviceOn('copy', copyDir);
    cleanup.push(() => b.close());
    assert.notEqual(b.store.clientId, a.store.clientId, 'the copy has a client id of its own');
    assert.equal(a.store.clientId, readFileSync(join(a.dir!, 'client-id'), 'utf8').split('\n')[0], 'the original keeps its id');

    const t2 = await b.store.createThread({ title: 'written on the copy' });
    await a.store.append(t1.id, { type: 'user:message', message: { content: 'written on the original' } });
    await settle([a, b]);
    assert.equal((await a.store.getThread(t2.id))?.title, 'written on the copy');
    assert.equal((await b.store.getThread(t1.id))?.messages.at(-1)?.content, 'written on the original');
    await assertConverged([a, b], server.url, token);
  });

  test('copies that keep one client id (given explicitly) still receive what the other wrote', async () => {
    const dirA = mkdtempSync(join(tmpdir(), 'skein-same-a-'));
    const open = (dir: string) =>
      openStore({ dir, clientId: 'c-shared-id', durability: 'normal', remote: { url: server.url, token, autoStart: false, backoffBaseMs: 20, backoffCapMs: 200 } });
    const a: Device = { name: 'same-a', dir: dirA, store: await open(dirA), reopen: async () => undefined, close: async () => rmSync(dirA, { recursive: true, force: true }) };
    cleanup.push(async () => {
      await a.store.close();
      await a.close();
    });
    const t1 = await a.store.createThread({ title: 'shared before' });
    await settle([a]);
    await a.store.close();
    const dirB = mkdtempSync(join(tmpdir(), 'skein-same-b-'));
    cpSync(dirA, dirB, { recursive: true });
    a.store = await open(dirA);
    const b: Device = { name: 'same-b', dir: dirB, store: await open(dirB), reopen: async () => undefined, close: async () => rmSync(dirB, { recursive: true, force: true }) };
    cleanup.push(async () => {
      await b.store.close();
      await b.close();
    });
    assert.equal(b.store.clientId, a.store.clientId);

    const t2 = await b.store.createThread({ title: 'on b, same id' });
    await b.store.append(t1.id, { type: 'user:message', message: { content: 'b wrote to t1' } });
    await settle([b]);
    await settle([a]);
    assert.equal((await a.store['core'].backend.getHead(t2.id))?.title, 'on b, same id');
    assert.equal((await a.store.getThread(t1.id))?.messages.at(-1)?.content, 'b wrote to t1');
  });

  test('a store restored from its backup gets back what it wrote after the backup', async () => {
    const d = await openDevice('restored', server.url, token);
    cleanup.push(() => d.close());
    const t3 = await d.store.createThread({ title: 'in the backup' });
    await settle([d]);
    await d.store.close();
    const backup = mkdtempSync(join(tmpdir(), 'skein-backup-'));
    cleanup.push(async () => rmSync(backup, { recursive: true, force: true }));
    cpSync(d.dir!, backup, { recursive: true });

    await d.reopen();
    const t4 = await d.store.createThread({ title: 'after the backup' });
    await d.store.append(t3.id, { type: 'user:message', message: { content: 'after the backup too' } });
    await settle([d]);
    await d.store.close();
    rmSync(d.dir!, { recursive: true, force: true });
    cpSync(backup, d.dir!, { recursive: true });
    await d.reopen();

    assert.equal(await d.store['core'].backend.getHead(t4.id), undefined, 'the restored store lacks it locally');
    await settle([d]);
    assert.equal((await d.store['core'].backend.getHead(t4.id))?.title, 'after the backup', 'pulled back into the local store');
    assert.equal((await d.store.getThread(t3.id))?.messages.at(-1)?.content, 'after the backup too');
    await assertConverged([d], server.url, token);
  });
});

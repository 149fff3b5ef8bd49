/**
 * The replica's client id, kept in `<store dir>/client-id`, and renewed when the store is a copy.
 *
 * Pulls leave out the ops a device wrote itself (it has them), by client id. A store directory
 * copied to a second machine, or a store restored from a backup, would keep the id and so never
 * receive the other copy's ops, or the ops it wrote after the backup. So the file also records
 * which database file the id was given to (inode and creation time): a copy or a restored file is
 * a new file, and gets a new client id (its old ops keep the old one, which is now "another
 * device", so pulls bring back whatever it lacks). Moving the directory keeps the inode.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClientId } from '../model/schema.js';

/** A new random client id. */
export function newClientId(): string {
  return `c${randomBytes(6).toString('hex')}`;
}

/**
 * Which file `file` is: its inode and creation time. The inode alone is not enough: a restore
 * that deletes the directory and copies the backup in is often given the inode number just freed.
 */
function identityOf(file: string): string | undefined {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.birthtimeNs}`;
  } catch {
    return undefined;
  }
}

/**
 * The client id of the store in `dir` whose database is `dbFile` (which exists): the one on file,
 * unless the file belongs to another database file (a copy or a restore), then a new one.
 */
export function loadClientId(dir: string, dbFile: string): { clientId: string; renewed: boolean } {
  const file = join(dir, 'client-id');
  const ino = identityOf(dbFile);
  let clientId: string | undefined;
  let recorded: string | undefined;
  try {
    const lines = readFileSync(file, 'utf8').split('\n');
    clientId = parseClientId(lines[0]!.trim());
    recorded = /^db-file (\d+:\d+)$/.exec(lines[1]?.trim() ?? '')?.[1];
  } catch {
    clientId = undefined;
  }
  // A file from before inodes were recorded is adopted as it is.
  const copied = clientId !== undefined && recorded !== undefined && ino !== undefined && recorded !== ino;
  const renewed = copied || clientId === undefined;
  if (renewed) clientId = newClientId();
  if (renewed || recorded !== ino) writeFileSync(file, `${clientId}\n${ino === undefined ? '' : `db-file ${ino}\n`}`, { flag: 'w' });
  return { clientId: clientId!, renewed: copied };
}

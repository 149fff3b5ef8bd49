/**
 * What the server asks its storage on nearly every request, kept in memory: the token's workspace
 * and user, and each workspace's private threads (the only access records that hide anything).
 * Each storage drops entries the moment it learns they changed: its own writes at once; writes by
 * another process through `PRAGMA data_version` (SQLite, checked on every lookup) or a trigger's
 * NOTIFY (PostgreSQL, while its LISTEN connection is up; without it nothing is cached). Only
 * tokens that exist are cached, so a new token works at once and an unknown one is asked again.
 */
/** Tokens kept at most; past that the map starts again (a server has few). */
const MAX_TOKENS = 10_000;

/** See the module comment. `T` is what a token names, `A` an access record. */
export class AccessCache<T, A> {
  /** Bumped by every invalidation, so that a lookup that raced one does not store what it read. */
  private generation = 0;
  private readonly tokens = new Map<string, T>();
  private readonly privates = new Map<string, readonly A[]>();

  /** Forgets everything (another process changed the data, or news of changes may have been lost). */
  clear(): void {
    this.generation++;
    this.tokens.clear();
    this.privates.clear();
  }

  /** Forgets a workspace's access records. */
  dropWorkspace(workspace: string): void {
    this.generation++;
    this.privates.delete(workspace);
  }

  /** Forgets a token (its row changed or went). */
  dropToken(hash: string): void {
    this.generation++;
    this.tokens.delete(hash);
  }

  /** The token by hash: from memory, else `load` (a found token is kept unless `use` is false). */
  async token(hash: string, load: () => Promise<T | undefined>, use = true): Promise<T | undefined> {
    if (!use) return load();
    const hit = this.tokens.get(hash);
    if (hit) return hit;
    const gen = this.generation;
    const found = await load();
    if (found && gen === this.generation) {
      if (this.tokens.size >= MAX_TOKENS) this.tokens.clear();
      this.tokens.set(hash, found);
    }
    return found;
  }

  /** A workspace's private threads: from memory, else `load` (kept unless `use` is false). */
  async privateThreads(workspace: string, load: () => Promise<A[]>, use = true): Promise<readonly A[]> {
    if (!use) return load();
    const hit = this.privates.get(workspace);
    if (hit) return hit;
    const gen = this.generation;
    const found = await load();
    if (gen === this.generation) this.privates.set(workspace, found);
    return found;
  }
}

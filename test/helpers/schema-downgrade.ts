/**
 * SQL that takes away what SQLite migration 10 added (the `threads` title and count columns and
 * the title trigger on them), for tests that turn a database back into an older schema: the
 * migration adds them again when the store opens.
 */
export const WITHOUT_TITLE_COLUMNS = 'DROP TRIGGER IF EXISTS search_title_changed; ALTER TABLE threads DROP COLUMN title; ALTER TABLE threads DROP COLUMN msgs;';

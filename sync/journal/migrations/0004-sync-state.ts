import type { Migration } from './migration.ts';

/**
 * What the terminal knows of its last successful sync: when, and which journal head the core
 * anchored. One row. The offline policy's "maximum time since the last sync" reads `last_sync_at`.
 */
export const migration: Migration = {
  version: 4,
  name: 'sync-state',
  up(db) {
    db.exec(`
      CREATE TABLE sync_state (
        id                 INTEGER PRIMARY KEY CHECK (id = 1),
        last_sync_at       TEXT,
        anchored_entry_seq INTEGER,
        anchored_hash      BLOB
      ) STRICT;
      INSERT INTO sync_state (id) VALUES (1);
    `);
  },
};

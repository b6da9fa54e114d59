-- The hubs sharing this ledger (PostgreSQL), each beating every second with the database's
-- clock: the agencies' quotas are divided among those seen within the last few seconds.
-- A hub that stops cleanly removes its row; a killed one ages out. Portable SQL (unused on
-- SQLite, where one hub owns the ledger).

CREATE TABLE hub_members (
    hub_id TEXT PRIMARY KEY,
    seen_at_ms BIGINT NOT NULL
);

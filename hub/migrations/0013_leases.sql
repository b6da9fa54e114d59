-- Leases among the hubs sharing a PostgreSQL ledger: who executes an order ("order:<id>") and
-- who runs the follow-up loop ("follow-up"), until when (the database's clock, Unix ms). A
-- holder renews its lease while it works and deletes it when done; a killed holder's lease
-- runs out and another hub takes the work over. Portable SQL (unused on SQLite, where one hub
-- owns the ledger).

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);

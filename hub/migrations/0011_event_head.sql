-- Event numbers from one counter row instead of MAX(seq) + 1: the writer that takes the next
-- number holds the row's lock until it commits, so another writer (another hub on PostgreSQL)
-- waits for it instead of numbering the same event and failing on the unique key, and
-- numbers become visible in order (a reader never sees event n + 1 before event n, so a feed
-- read through any hub has no gap). Writers take it last in their transaction. Portable SQL.

CREATE TABLE control_event_head (
    id BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

INSERT INTO control_event_head (id, last_seq)
    SELECT 1, COALESCE(MAX(seq), 0) FROM control_events;

-- Durable sweeps (issue 13): a sweep of many debtors is a job the hub keeps here, worked
-- through item by item and resumed after a restart. Portable SQL: runs unchanged on SQLite
-- and PostgreSQL.

CREATE TABLE sweeps (
    id TEXT PRIMARY KEY,
    -- The submitting court and its idempotency key (one sweep per court and key).
    court TEXT NOT NULL,
    client_key TEXT NOT NULL,
    -- Who submitted it: the caller's identity, role and officer (items are asked on their behalf).
    caller_subject TEXT NOT NULL,
    caller_role TEXT NOT NULL,
    caller_officer TEXT NOT NULL,
    caller_issuer TEXT NOT NULL,
    -- receiving (items still arriving), running, awaiting, finished, cancelled.
    state TEXT NOT NULL,
    -- Asset kinds asked, comma-separated registered names ('' = every kind).
    kinds TEXT NOT NULL,
    fresh BIGINT NOT NULL,
    item_deadline_ms BIGINT NOT NULL,
    total BIGINT NOT NULL,
    started_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT NOT NULL
);

CREATE UNIQUE INDEX sweeps_court_key ON sweeps (court, client_key);
CREATE INDEX sweeps_state ON sweeps (state);

-- One debtor of a sweep. state: waiting -> asking (written before any agency is asked) ->
-- done | awaiting (some source answers later) | failed | refused. Personal data (the debtor's
-- number and name) as in case_debtors; results are a compact per-source summary (JSON).
CREATE TABLE sweep_items (
    sweep_id TEXT NOT NULL,
    idx BIGINT NOT NULL,
    case_number TEXT NOT NULL,
    debtor_id TEXT NOT NULL,
    debtor_name TEXT NOT NULL,
    state TEXT NOT NULL,
    -- Rounds this item has been asked in (an error or a timeout is asked again, same request id).
    attempts BIGINT NOT NULL,
    summary TEXT NOT NULL,
    error_code TEXT NOT NULL,
    error_message TEXT NOT NULL,
    -- When an awaiting or failed item is next looked at (Unix ms).
    next_at_ms BIGINT NOT NULL,
    PRIMARY KEY (sweep_id, idx)
);

CREATE INDEX sweep_items_state ON sweep_items (sweep_id, state, idx);

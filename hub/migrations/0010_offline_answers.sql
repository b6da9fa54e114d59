-- Off-line agencies (issue 13): an instruction to an agency that is not online is issued as a
-- notice (协助执行通知书), signed as an online instruction would be, and the agency's written
-- answer is recorded by an officer. Portable SQL (SQLite and PostgreSQL). Rows are only added
-- or moved forward, never deleted.

-- One row per order issued as a notice: when, and the hub's signature over the canonical
-- instruction (what the notice carries, so the agency can verify it).
CREATE TABLE offline_notices (
    order_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    -- Days since the epoch of the Beijing date the notice was issued on.
    issued_day BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    -- Unix seconds, as signed.
    signed_at BIGINT NOT NULL,
    signature TEXT NOT NULL
);

-- Written answers as officers recorded them, one row per call (by the court's client key). A
-- court requiring four-eyes keeps a recorded answer 'proposed' until a second officer
-- (supervisor) confirms it in a row of its own ('confirmation', pointing at the proposal by
-- proposal_id); answers take effect when 'applied'.
CREATE TABLE offline_answers (
    answer_id TEXT PRIMARY KEY,
    court TEXT NOT NULL,
    client_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- The answer's content alone (what a confirmation must match).
    content_hash TEXT NOT NULL,
    order_id TEXT NOT NULL,
    -- 'proposed', 'confirmation', 'applying', 'applied'.
    status TEXT NOT NULL,
    proposal_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    queue_position BIGINT NOT NULL,
    reason TEXT NOT NULL,
    agency_ref TEXT NOT NULL,
    start_day BIGINT NOT NULL,
    end_day BIGINT NOT NULL,
    answered_day BIGINT NOT NULL,
    document TEXT NOT NULL,
    -- issuer/subject of the officer who recorded it, and the name.
    officer_id TEXT NOT NULL,
    officer TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (court, client_key)
);

CREATE INDEX offline_answers_by_order ON offline_answers (order_id, status);

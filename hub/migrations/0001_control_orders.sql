-- Control orders, the requests that created them, per-case cap reservations, the event feed
-- and sighting cursors. Portable SQL: runs unchanged on SQLite and PostgreSQL (TEXT, BIGINT,
-- no autoincrement: event numbers are assigned in the writing transaction).

-- One row per client request (idempotency): the same court and key must carry the same request.
CREATE TABLE control_requests (
    court TEXT NOT NULL,
    client_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- The group id of a one-click freeze, or the order id of a single action.
    result_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (court, client_key)
);

CREATE TABLE control_orders (
    order_id TEXT PRIMARY KEY,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    case_number TEXT NOT NULL,
    court TEXT NOT NULL,
    ruling TEXT NOT NULL,
    officer TEXT NOT NULL,
    source TEXT NOT NULL,
    asset_local TEXT NOT NULL,
    debtor_id TEXT NOT NULL,
    debtor_name TEXT NOT NULL,
    debtor_masked TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    frozen_fen BIGINT NOT NULL,
    deducted_fen BIGINT NOT NULL,
    -- This order's share of its case's reservation against the cap.
    reserved_fen BIGINT NOT NULL,
    -- Days since 1970-01-01; 0 when the order has no period.
    start_day BIGINT NOT NULL,
    end_day BIGINT NOT NULL,
    queue_position BIGINT NOT NULL,
    agency_ref TEXT NOT NULL,
    target_order_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    case_account TEXT NOT NULL,
    detail TEXT NOT NULL,
    client_key TEXT NOT NULL,
    -- Times the instruction was sent; above zero, the agency is asked before any resend.
    attempts BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    version BIGINT NOT NULL
);

CREATE INDEX control_orders_case ON control_orders (case_number, created_at_ms);
CREATE INDEX control_orders_state ON control_orders (state);
CREATE INDEX control_orders_group ON control_orders (group_id);

-- What each case holds or may soon hold against its claim (no excess control).
CREATE TABLE control_cases (
    case_number TEXT PRIMARY KEY,
    claim_fen BIGINT NOT NULL,
    reserved_fen BIGINT NOT NULL
);

CREATE TABLE control_events (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    case_number TEXT NOT NULL,
    order_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);

CREATE INDEX control_events_case ON control_events (case_number, seq);

CREATE TABLE sighting_cursors (
    source TEXT PRIMARY KEY,
    cursor_text TEXT NOT NULL
);

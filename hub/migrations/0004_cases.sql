-- Enforcement cases as the court's case system registers them (DOMAIN rule 7), the one
-- reservation per case against its claim, the money rules' columns on orders, and "one live
-- hold per case, asset and kind of hold" as a constraint every path shares. Portable SQL:
-- runs unchanged on SQLite and PostgreSQL.

CREATE TABLE cases (
    case_number TEXT PRIMARY KEY,
    -- The court that owns the case (from its number).
    court TEXT NOT NULL,
    -- open, suspended or closed.
    state TEXT NOT NULL,
    -- What the ruling awards, costs included (执行标的), in fen of yuan.
    claim_fen BIGINT NOT NULL,
    -- The case's receiving account (一案一账号).
    account TEXT NOT NULL,
    -- What the case holds or may soon hold against its claim, in fen of yuan: frozen +
    -- deducted + asked and not decided + queued. Only grows through a conditional update that
    -- keeps it within claim_fen while the case is open.
    reserved_fen BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE INDEX cases_court ON cases (court, case_number);

-- The debtors (被执行人) of each case: personal data, kept for matching searches and orders.
CREATE TABLE case_debtors (
    case_number TEXT NOT NULL,
    debtor_id TEXT NOT NULL,
    debtor_name TEXT NOT NULL,
    since_version BIGINT NOT NULL,
    PRIMARY KEY (case_number, debtor_id)
);

-- Every version of every case: who changed what, when and why (no personal data: debtors
-- appear masked).
CREATE TABLE case_versions (
    case_number TEXT NOT NULL,
    version BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    actor TEXT NOT NULL,
    state TEXT NOT NULL,
    claim_fen BIGINT NOT NULL,
    account TEXT NOT NULL,
    change_text TEXT NOT NULL,
    PRIMARY KEY (case_number, version)
);

-- The per-case reservation now lives on the registered case; a request can no longer set a
-- case's cap.
DROP TABLE control_cases;

-- Money has a currency: amounts of an order are minor units of `currency`; what it counts
-- against its case's claim is converted at `rate_micro` (fen of yuan per 1,000,000 minor
-- units, 1000000 for CNY), the configured rate of `rate_date`.
ALTER TABLE control_orders ADD COLUMN currency TEXT NOT NULL DEFAULT 'CNY';
ALTER TABLE control_orders ADD COLUMN rate_micro BIGINT NOT NULL DEFAULT 1000000;
ALTER TABLE control_orders ADD COLUMN rate_date TEXT NOT NULL DEFAULT '';
-- Identities, not display names: who gave the order and who decided its approval
-- (issuer/subject), with the approver's name.
ALTER TABLE control_orders ADD COLUMN officer_id TEXT NOT NULL DEFAULT '';
ALTER TABLE control_orders ADD COLUMN approver_id TEXT NOT NULL DEFAULT '';
ALTER TABLE control_orders ADD COLUMN approver TEXT NOT NULL DEFAULT '';

-- One live hold per case, asset and kind of hold (a car may be sealed and watched), whatever
-- path places it and however many hubs share the ledger.
CREATE UNIQUE INDEX control_orders_one_live_hold
    ON control_orders (case_number, source, asset_local, action)
    WHERE action IN ('freeze', 'seal', 'watch')
      AND state IN ('awaiting_approval', 'requested', 'awaiting_agency', 'effective', 'partial', 'queued');

CREATE INDEX control_orders_target ON control_orders (target_order_id);

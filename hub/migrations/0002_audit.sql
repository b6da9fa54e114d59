-- The tamper-evident audit log: one row per call and per agency instruction, each chained to
-- the previous one by hash, and a one-row head recording the newest entry (so deleting the
-- newest rows is detected too). Portable SQL: runs unchanged on SQLite and PostgreSQL (TEXT,
-- BIGINT, sequence numbers assigned in the writing transaction). Append-only: the hub never
-- updates or deletes rows of audit_log.

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    -- The officer, or the calling system's subject.
    actor TEXT NOT NULL,
    court TEXT NOT NULL,
    role TEXT NOT NULL,
    -- The gRPC method, or "agency:<source>:<action>" for an instruction sent to an agency.
    method TEXT NOT NULL,
    case_number TEXT NOT NULL,
    -- Keyed hash (HMAC-SHA256, hex) of the debtor's identity number; never the number itself.
    debtor_ref TEXT NOT NULL,
    -- "allowed" or "denied: <reason>".
    decision TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    -- Hex SHA-256 of the previous entry (64 zeros for the first), and of this one:
    -- sha256(prev_hash || canonical encoding of the entry including seq).
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- Exactly one row (id = 1): the newest entry's number and hash, updated in the same
-- transaction as each append. Appenders lock it first, which serialises them.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);

INSERT INTO audit_head (id, last_seq, last_hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

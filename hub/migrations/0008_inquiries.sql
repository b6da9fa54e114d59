-- Inquiries to agencies that answer later (asynchronous sources, issue 13): one row per
-- inquiry, written before it is sent to an agency configured `asynchronous = true` (and when a
-- Pending answer arrives from any other), so a restart resumes it by its key instead of asking
-- again. State: sending -> pending -> answered | expired | failed. Times are Unix ms by the
-- hub's clock. Portable SQL (SQLite and PostgreSQL).

CREATE TABLE inquiries (
    inquiry_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    case_number TEXT NOT NULL,
    -- The court of the case (callers list their own court's inquiries only).
    court TEXT NOT NULL,
    debtor_id TEXT NOT NULL,
    debtor_name TEXT NOT NULL,
    debtor_masked TEXT NOT NULL,
    -- The key sent to the agency (CallContext.request_id): a repeated key gets the same ticket.
    inquiry_key TEXT NOT NULL UNIQUE,
    ticket TEXT NOT NULL,
    state TEXT NOT NULL,
    expected_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    -- The answer as JSON (the connector's QueryAnswer), once answered; '' before.
    answer TEXT NOT NULL,
    asset_count BIGINT NOT NULL,
    reason TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    -- Times the agency lost the ticket and the inquiry was asked again under a new key.
    reasked BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE INDEX inquiries_state ON inquiries (state);
CREATE INDEX inquiries_debtor ON inquiries (source, debtor_id);
CREATE INDEX inquiries_court ON inquiries (court, created_at_ms);

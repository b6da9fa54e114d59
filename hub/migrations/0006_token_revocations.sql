-- Revoked bearer tokens, kept in the ledger so every hub sharing it refuses them: by token id
-- (kind 'jti', value the token's jti) or by subject (kind 'subject', value the sub: every token
-- of that subject issued up to revoked_at, so tokens issued afterwards are accepted again).
-- Portable SQL (SQLite and PostgreSQL). Rows are only added or moved later, never deleted.

CREATE TABLE token_revocations (
    kind TEXT NOT NULL,
    issuer TEXT NOT NULL,
    value TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- Who revoked (issuer/subject and name of the caller), for the record.
    revoked_by TEXT NOT NULL,
    -- Unix seconds.
    revoked_at BIGINT NOT NULL,
    PRIMARY KEY (kind, issuer, value)
);

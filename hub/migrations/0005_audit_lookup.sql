-- Lookups an auditor makes in the audit log (ListAudit filters): one case's entries, one
-- method's, a time window. Each index ends in seq (or is on at_ms), so a filtered page ordered
-- by seq reads only matching rows. Portable SQL (SQLite and PostgreSQL). The audit log stays
-- append-only: indexes add no way to change it.

CREATE INDEX audit_log_case ON audit_log (case_number, seq);
CREATE INDEX audit_log_method ON audit_log (method, seq);
CREATE INDEX audit_log_at ON audit_log (at_ms);

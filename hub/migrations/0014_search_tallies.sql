-- Each court's searches and its agencies' answers per Beijing civil day (days since
-- 1970-01-01), for the command centre (Cases.CourtFigures). Every hub of a ledger adds its
-- counts every two seconds. The row whose source is '' counts the court's debtor searches.

CREATE TABLE search_tallies (
    day BIGINT NOT NULL,
    court TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- Answers given (from the cache or not), and those that found something.
    answers BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    -- Answers the agency was asked for, how many failed or timed out, their total time (ms),
    -- how many came within 500 ms and how many took over 2 s.
    calls BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    timeouts BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    fast BIGINT NOT NULL,
    slow BIGINT NOT NULL,
    PRIMARY KEY (day, court, source)
);

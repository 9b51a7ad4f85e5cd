-- A log of what changed, so that every service process can keep its in-memory KPI cache
-- in step with writes made by any process (SQLite).
-- kind: 'FACTS' (the facts of dealer_code for from_month..to_month; all facts when
-- dealer_code is NULL) or 'NETWORK' (regions, dealers or region histories).
CREATE TABLE change_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    dealer_code TEXT,
    from_month  INTEGER,
    to_month    INTEGER,
    changed_at  BIGINT NOT NULL
);

-- Target management (目标管理, [001], SQLite): yearly targets of dealers (and, set by the OEM, of
-- regions), their revisions, their phasing over the months, and the OEM's national
-- phasing profiles.
--
-- item: a target item code (total_ros, brand_ros, labor_revenue, brand_labor_revenue,
-- workshop_parts, brand_workshop_parts) or 'kpi:<code>' for a target on a catalog KPI.
-- value: storage units (counts; fen), or for a KPI target its display value in hundredths.

CREATE TABLE targets (
    scope      TEXT NOT NULL,
    code       TEXT NOT NULL,
    year       INTEGER NOT NULL,
    item       TEXT NOT NULL,
    value      BIGINT NOT NULL,
    status     TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    phasing    TEXT,
    comment    TEXT,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (scope, code, year, item)
);

-- Every change: value and status as they were made, by whom, when and why.
CREATE TABLE target_revisions (
    scope    TEXT NOT NULL,
    code     TEXT NOT NULL,
    year     INTEGER NOT NULL,
    item     TEXT NOT NULL,
    revision INTEGER NOT NULL,
    status   TEXT NOT NULL,
    value    BIGINT NOT NULL,
    reason   TEXT,
    author   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (scope, code, year, item, revision)
);

-- Approved dealer volume targets phased over the months: what achievement divides by.
CREATE TABLE target_months (
    dealer_code TEXT NOT NULL,
    month       INTEGER NOT NULL,
    item        TEXT NOT NULL,
    value       BIGINT NOT NULL,
    PRIMARY KEY (dealer_code, month, item)
);

-- The OEM's national phasing profile of an item for a year: twelve weights (JSON array).
CREATE TABLE phasing_profiles (
    year       INTEGER NOT NULL,
    item       TEXT NOT NULL,
    weights    TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (year, item)
);

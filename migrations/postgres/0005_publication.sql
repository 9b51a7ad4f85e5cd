-- Published months: what dealer users are shown of other dealers (PostgreSQL).
--
-- A dealer sees other dealers only through aggregates of a month's published snapshot,
-- never live, so that reading an aggregate before and after another dealer's submission
-- reveals nothing. A published month is its membership (each active dealer's region and
-- peer group when it was published) and the live KPI facts, except the facts changed
-- since: their published values are held here until a republication shows them.
-- change_log kind 'PUBLICATION' names the months whose publication changed.

-- One row per month published or scheduled: version 0 while only scheduled by the OEM,
-- 1 at the first publication, +1 per republication.
CREATE TABLE publications (
    month        INTEGER PRIMARY KEY,
    version      INTEGER NOT NULL,
    scheduled_at BIGINT,
    published_at BIGINT,
    updated_at   BIGINT
);

-- Every (re)publication: SCHEDULED, EARLY, REPUBLICATION or RESTATEMENT.
CREATE TABLE publication_events (
    month             INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    at                BIGINT NOT NULL,
    author            TEXT NOT NULL,
    dealers_published BIGINT NOT NULL,
    dealers_held      BIGINT NOT NULL,
    PRIMARY KEY (month, version)
);

-- The dealers of a published month and their groups as published.
CREATE TABLE published_members (
    month       INTEGER NOT NULL,
    dealer_code TEXT NOT NULL,
    region_code TEXT NOT NULL,
    brand       TEXT NOT NULL,
    size_tier   TEXT NOT NULL,
    PRIMARY KEY (month, dealer_code)
);

-- The published value of each fact written since its month was published (present is
-- false when there was no fact then).
CREATE TABLE published_holds (
    month       INTEGER NOT NULL,
    dealer_code TEXT NOT NULL,
    kpi         SMALLINT NOT NULL,
    present     BOOLEAN NOT NULL,
    numerator   BIGINT,
    denominator BIGINT,
    reason      TEXT,
    PRIMARY KEY (month, dealer_code, kpi)
);

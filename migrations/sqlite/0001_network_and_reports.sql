-- The dealer network and the monthly MSI reports (SQLite).
-- Months are stored as month indexes (year * 12 + month - 1); times as epoch milliseconds;
-- report values as JSON objects {field: stored value} (money in fen, hours in hundredths).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE dealers (
    code         TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    brand        TEXT NOT NULL,
    province     TEXT NOT NULL,
    city         TEXT NOT NULL,
    size_tier    TEXT NOT NULL,
    opened_month INTEGER NOT NULL,
    closed_month INTEGER
);

-- From from_month on (until the next row), the dealer belongs to region_code.
CREATE TABLE dealer_regions (
    dealer_code TEXT NOT NULL REFERENCES dealers (code),
    from_month  INTEGER NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (dealer_code, from_month)
);
CREATE INDEX dealer_regions_region ON dealer_regions (region_code);

-- The current state of each dealer-month report.
CREATE TABLE reports (
    dealer_code        TEXT NOT NULL REFERENCES dealers (code),
    month              INTEGER NOT NULL,
    status             TEXT NOT NULL,
    revision           INTEGER NOT NULL,
    data               TEXT NOT NULL,
    warnings           TEXT NOT NULL,
    late               BOOLEAN NOT NULL,
    first_submitted_at BIGINT,
    updated_at         BIGINT NOT NULL,
    updated_by         TEXT NOT NULL,
    PRIMARY KEY (dealer_code, month)
);
CREATE INDEX reports_month ON reports (month, dealer_code);

-- Every submitted revision, complete and immutable.
CREATE TABLE report_revisions (
    dealer_code TEXT NOT NULL,
    month       INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    status      TEXT NOT NULL,
    data        TEXT NOT NULL,
    warnings    TEXT NOT NULL,
    author      TEXT NOT NULL,
    reason      TEXT,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (dealer_code, month, revision),
    FOREIGN KEY (dealer_code, month) REFERENCES reports (dealer_code, month)
);

-- KPI facts and OEM parameters (SQLite).

-- OEM parameters (e.g. annual_visits_per_vehicle, 年度平均来店次数) per year and optionally
-- per region ('' = the whole network). Values in thousandths.
CREATE TABLE oem_parameters (
    name        TEXT NOT NULL,
    year        INTEGER NOT NULL,
    region_code TEXT NOT NULL DEFAULT '',
    value       BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (name, year, region_code)
);

-- Numerator and denominator of every KPI per dealer-month with a submitted report, kept in
-- step with the reports (and with later months whose windows reach back to them). A KPI
-- without a value has NULL numerator and denominator and the reason.
CREATE TABLE kpi_facts (
    kpi         SMALLINT NOT NULL,
    month       INTEGER NOT NULL,
    dealer_code TEXT NOT NULL,
    region_code TEXT NOT NULL,
    numerator   BIGINT,
    denominator BIGINT,
    reason      TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (kpi, month, dealer_code)
) WITHOUT ROWID;
CREATE INDEX kpi_facts_dealer ON kpi_facts (dealer_code, kpi, month);
CREATE INDEX kpi_facts_updated ON kpi_facts (updated_at);

-- Facts kept together by month and dealer.
--
-- A submission writes the facts of one dealer-month (and reads a few more months of that
-- dealer). Keyed (KPI, month, dealer), those lay one page per KPI apart, so every
-- submission dirtied some 63 pages. Keyed (month, dealer, KPI) they share a page or two, a
-- month still loads as one range, and no secondary index is needed (reads by dealer name
-- their months). Nothing reads facts by write time alone: that index goes too.
CREATE TABLE kpi_facts_by_month (
    month       INTEGER NOT NULL,
    dealer_code TEXT NOT NULL,
    kpi         SMALLINT NOT NULL,
    region_code TEXT NOT NULL,
    numerator   BIGINT,
    denominator BIGINT,
    reason      TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (month, dealer_code, kpi)
);
INSERT INTO kpi_facts_by_month (month, dealer_code, kpi, region_code, numerator, denominator, reason, updated_at)
    SELECT month, dealer_code, kpi, region_code, numerator, denominator, reason, updated_at
    FROM kpi_facts ORDER BY month, dealer_code, kpi;
DROP TABLE kpi_facts;
ALTER TABLE kpi_facts_by_month RENAME TO kpi_facts;

-- Facts indexed for writes.
--
-- A submission re-reads and rewrites one dealer's facts of a few months. In the table's key
-- order (KPI, month, dealer) those lie one page per KPI apart; this index holds them whole,
-- by dealer and month, so reading them is one short range (an index-only scan).
DROP INDEX kpi_facts_dealer;
CREATE INDEX kpi_facts_dealer
    ON kpi_facts (dealer_code, month, kpi) INCLUDE (region_code, numerator, denominator, reason, updated_at);

-- Nothing reads facts by write time alone (pages filter it within a KPI and month), and this
-- index cost every fact write a random insertion and deletion.
DROP INDEX kpi_facts_updated;

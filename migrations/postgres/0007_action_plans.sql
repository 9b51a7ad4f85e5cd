-- Action plans (行动方案, [001] [004]) (PostgreSQL): countermeasures against a dealer's KPI or
-- target gaps, with an owner and a due month, their revisions and their follow-ups.
--
-- subject: a KPI code or a target item code (its achievement is measured).
-- baseline_*: the subject's value when the item was created, over a chosen period
-- (numerator and denominator in storage units; none when it had no value).
-- expected: the value the item aims at, in hundredths of the KPI's display unit.

CREATE TABLE action_items (
    id             BIGSERIAL PRIMARY KEY,
    dealer_code    TEXT NOT NULL,
    subject        TEXT NOT NULL,
    problem        TEXT NOT NULL,
    cause          TEXT NOT NULL,
    countermeasure TEXT NOT NULL,
    owner          TEXT NOT NULL,
    department     TEXT NOT NULL,
    due_month      INTEGER NOT NULL,
    status         TEXT NOT NULL,
    baseline_from  INTEGER NOT NULL,
    baseline_to    INTEGER NOT NULL,
    baseline_num   BIGINT,
    baseline_den   BIGINT,
    expected       BIGINT,
    revision       INTEGER NOT NULL,
    created_at     BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    updated_by     TEXT NOT NULL
);

CREATE INDEX action_items_by_dealer ON action_items (dealer_code, due_month);

-- Every revision: the item's editable state as it was made (JSON), by whom, when, why.
CREATE TABLE action_item_revisions (
    item_id  BIGINT NOT NULL,
    revision INTEGER NOT NULL,
    state    TEXT NOT NULL,
    reason   TEXT,
    author   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (item_id, revision)
);

-- Dated notes, appended as the meetings go by (会后跟进).
CREATE TABLE action_followups (
    item_id BIGINT NOT NULL,
    seq     INTEGER NOT NULL,
    at      BIGINT NOT NULL,
    author  TEXT NOT NULL,
    note    TEXT NOT NULL,
    PRIMARY KEY (item_id, seq)
);

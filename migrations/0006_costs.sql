-- casecli store, schema 6: costs (EXPORTS.md "costs.csv", optional): an office's total
-- IV-D administrative expenditures in a federal fiscal year, the divisor of
-- cost-effectiveness (45 CFR 305.33 Table 3; issue 13 item 12). Money is integer cents,
-- as in payments; period is the fiscal year's label, FFY2026. office_id names an office
-- of staff.office_id (offices have no table of their own), so there is no foreign key.
CREATE TABLE costs (
    office_id    TEXT NOT NULL,
    period       TEXT NOT NULL,
    expenditures INTEGER NOT NULL,
    _gone_on TEXT, _sync_id INTEGER,
    PRIMARY KEY (office_id, period)
) WITHOUT ROWID;

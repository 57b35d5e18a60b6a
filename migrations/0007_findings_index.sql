-- casecli store, schema 7: the substantiated findings of a child, found by person across
-- cases (issue 13 item 11). The CFSR maltreatment-in-care and recurrence measures look a
-- child's findings up by person_id in whichever case holds them (the investigation is
-- usually another unit's case); without this a statewide events table is read whole
-- (0.9 s for an office's score at 1.3 million cases, 0.2 s with it). Partial: findings
-- are a small share of events. Covering: the measures read nothing else of the row
-- (kind too: SQLite counts a column the WHERE names, even the partial condition).
CREATE INDEX IF NOT EXISTS events_finding_person
    ON events(person_id, case_id, completed_on, status, result, _gone_on, kind)
    WHERE kind = 'finding';

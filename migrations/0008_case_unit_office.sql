-- casecli store, schema 8: cases.unit_id and cases.office_id (EXPORTS.md, optional): the
-- unit and the office responsible for a case. They matter for a case nobody is assigned
-- to (an empty worker_id: a new intake waiting for assignment, its response clock already
-- running): the unit's supervisor and the office's manager see it (casecli.core.store.scope).
-- An assigned case belongs to its worker's unit and office, whatever these say.
-- (Schema 6 and 7 are other changes; a store may skip from 5 to 8 and apply them later.)
ALTER TABLE cases ADD COLUMN unit_id TEXT;
ALTER TABLE cases ADD COLUMN office_id TEXT;
CREATE INDEX cases_unassigned ON cases(unit_id, office_id) WHERE worker_id IS NULL;

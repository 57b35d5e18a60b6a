-- casecli store, schema 5: placements.provider_id (EXPORTS.md, optional): the home or
-- facility of a placement, so that a child's return to the same provider (after a
-- runaway or a respite stay) is not counted as a placement move (issue 13 item 5).
ALTER TABLE placements ADD COLUMN provider_id TEXT;

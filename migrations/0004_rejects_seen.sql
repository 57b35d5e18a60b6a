-- casecli store, schema 4.
-- A sync reports the rejects of *its* export (EXPORTS.md, "Rejects are this export's"):
-- the rows of this export that broke the contract, whether first seen now or seen before
-- in an earlier export. seen_sync_id is the latest sync whose export held the row; a
-- reject seen by no later sync is an older outstanding one, counted on one line.
ALTER TABLE rejects ADD COLUMN seen_sync_id INTEGER;
UPDATE rejects SET seen_sync_id = sync_id;

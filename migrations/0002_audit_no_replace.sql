-- casecli store, schema 2.
-- The audit log is append-only: UPDATE and DELETE were already refused (schema 1), but
-- INSERT OR REPLACE with an existing id removes the old row without firing the DELETE
-- trigger. Refuse an insert that reuses an id.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

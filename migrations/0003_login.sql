-- casecli store, schema 3: who is who, and who ran each sync.
-- staff.login: the person's login name from staff.csv (optional, EXPORTS.md): the
-- operating-system user on a personal store, the database login on a team store. On a
-- personal store --as defaults to the active staff member whose login is the
-- operating-system user, looked up by this index.
-- sync_log.os_user: the operating-system user who ran the sync (NULL when it could not
-- be told); run_by stays the staff id the sync was run as (--as), if any.
ALTER TABLE staff ADD COLUMN login TEXT;
CREATE INDEX staff_login ON staff(login);
ALTER TABLE sync_log ADD COLUMN os_user TEXT;

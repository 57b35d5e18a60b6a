-- casecli team store on PostgreSQL: who may see and write what (issue 17, DESIGN.md
-- "Where it runs, and who may see what"). Applied by `casecli db init` and after every
-- migration, by the schema's owner, as one transaction; every statement here may run
-- again (CREATE OR REPLACE, DROP ... IF EXISTS), so applying it twice changes nothing.
--
-- Who you are is the database login (session_user): it maps to the active staff member
-- whose staff.login it is (exactly one; two or none: nobody). Scope follows that staff
-- member's role, as casecli.core.store.scope says it for a personal store: a worker their
-- own cases, a supervisor their unit's (its workers' and its unassigned ones), a manager
-- their office's, an admin everything. What a role may do at all is a database role,
-- granted to each login by `casecli db grant` from staff.csv's role:
-- casecli_worker, casecli_supervisor, casecli_manager, casecli_admin.

DO $$
DECLARE r TEXT;
BEGIN
    FOREACH r IN ARRAY ARRAY['casecli_worker', 'casecli_supervisor', 'casecli_manager',
                             'casecli_admin']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;

-- Who the session is --------------------------------------------------------------
-- SECURITY DEFINER: they read staff as the owner (the policies below call them), with a
-- fixed search_path so that no object a user makes can stand in for ours.

-- (The login as text in the column's collation: session_user is a name, whose "C"
-- collation kept the staff_login index out, a 3.5 ms scan of a state's staff for every
-- statement.)
CREATE OR REPLACE FUNCTION casecli_me()
RETURNS TABLE (staff_id TEXT, role TEXT, unit_id TEXT, office_id TEXT)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH me AS (SELECT CAST(session_user AS TEXT) COLLATE "default" AS login)
    SELECT s.staff_id, s.role, s.unit_id, s.office_id
    FROM staff s, me
    WHERE s.login = me.login AND coalesce(s.active, 1) <> 0 AND s._gone_on IS NULL
      AND (SELECT count(*) FROM staff t WHERE t.login = me.login
           AND coalesce(t.active, 1) <> 0 AND t._gone_on IS NULL) = 1
$$;

-- The workers whose cases the session sees (assigned cases: scope.workers_clause), and
-- the units whose unassigned cases it sees (scope.unit_clause, office_clause): arrays,
-- which a policy reads once per statement, as (SELECT f()) (the workers as a JSON
-- object's keys: casecli_seen_worker_set below); each branch an indexed read of staff.
-- (Set-returning functions before: a policy testing case_id IN (...) by a hashed subplan
-- read every row of a 4.6-million-row table for one worker's 500 cases, 1.3 s a
-- statement.)
DROP FUNCTION IF EXISTS casecli_seen_workers() CASCADE;  -- (its policies: made again below)
DROP FUNCTION IF EXISTS casecli_seen_units() CASCADE;
CREATE FUNCTION casecli_seen_workers()
RETURNS TEXT[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH me AS MATERIALIZED (SELECT * FROM casecli_me())
    SELECT coalesce(array_agg(w), '{}') FROM (
        SELECT me.staff_id AS w FROM me WHERE me.role = 'worker'
        UNION ALL
        SELECT s.staff_id FROM staff s JOIN me ON me.role = 'supervisor' AND s.unit_id = me.unit_id
        UNION ALL
        SELECT s.staff_id FROM staff s JOIN me ON me.role = 'manager' AND s.office_id = me.office_id
    ) AS seen
$$;

CREATE FUNCTION casecli_seen_units()
RETURNS TEXT[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH me AS MATERIALIZED (SELECT * FROM casecli_me())
    SELECT coalesce(array_agg(DISTINCT u), '{}') FROM (
        SELECT me.unit_id AS u FROM me WHERE me.role = 'supervisor' AND me.unit_id IS NOT NULL
        UNION ALL
        SELECT s.unit_id FROM staff s JOIN me ON me.role = 'manager' AND s.office_id = me.office_id
        WHERE s.unit_id IS NOT NULL
    ) AS seen
$$;

-- The same workers as a JSON object's keys ({"S0003": true, …}), for the cases policy
-- to test one case's worker by a binary search of its keys: worker_id = ANY (the array)
-- compares a row with every element, and a manager's 754 workers cost 15 µs a row, on
-- every row of every table read through its case (an office's payments: 8.4 s of one
-- statement's 9.3). The policy reads it once per statement, computed in memory.
CREATE OR REPLACE FUNCTION casecli_seen_worker_set()
RETURNS JSONB
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT coalesce(jsonb_object_agg(w, true), '{}')
    FROM unnest(casecli_seen_workers()) AS w WHERE w IS NOT NULL
$$;

-- The office whose unassigned cases naming no unit the session sees (a manager's).
CREATE OR REPLACE FUNCTION casecli_seen_office()
RETURNS TEXT
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT me.office_id FROM casecli_me() me WHERE me.role = 'manager'
$$;

-- Whether the session is an active admin in staff.csv (with the casecli_admin role too:
-- the admin policies are for that role alone). A staff member demoted or made inactive
-- loses an admin's reach at once, before the next casecli db grant.
CREATE OR REPLACE FUNCTION casecli_is_admin()
RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM casecli_me() me WHERE me.role = 'admin')
$$;

-- Whether the session may set a goal for this scope (goals.may_set: a supervisor within
-- their unit, a manager within their office; admins through their own policy).
CREATE OR REPLACE FUNCTION casecli_may_set_goal(kind TEXT, scope TEXT)
RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM casecli_me() me
        WHERE (me.role = 'supervisor' AND me.unit_id IS NOT NULL AND (
                  (kind = 'unit' AND scope = me.unit_id)
               OR (kind = 'worker' AND EXISTS (SELECT 1 FROM staff s
                                               WHERE s.staff_id = scope AND s.unit_id = me.unit_id))))
           OR (me.role = 'manager' AND me.office_id IS NOT NULL AND (
                  (kind = 'office' AND scope = me.office_id)
               OR (kind = 'unit' AND EXISTS (SELECT 1 FROM staff s
                                             WHERE s.unit_id = scope AND s.office_id = me.office_id))
               OR (kind = 'worker' AND EXISTS (SELECT 1 FROM staff s
                                               WHERE s.staff_id = scope AND s.office_id = me.office_id))))
    )
$$;

REVOKE ALL ON FUNCTION casecli_me(), casecli_seen_workers(), casecli_seen_worker_set(),
    casecli_seen_units(), casecli_seen_office(), casecli_is_admin(),
    casecli_may_set_goal(TEXT, TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION casecli_me(), casecli_seen_workers(), casecli_seen_worker_set(),
    casecli_seen_units(), casecli_seen_office(), casecli_is_admin(),
    casecli_may_set_goal(TEXT, TEXT)
    TO casecli_worker, casecli_supervisor, casecli_manager, casecli_admin;

-- What each role may do at all ----------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA public
    FROM PUBLIC, casecli_worker, casecli_supervisor, casecli_manager, casecli_admin;
GRANT USAGE ON SCHEMA public TO casecli_worker, casecli_supervisor, casecli_manager, casecli_admin;
-- Only the casecli roles (and the owner) connect to this database at all.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO casecli_worker,'
                   ' casecli_supervisor, casecli_manager, casecli_admin', current_database());
END
$$;
-- Nobody but the owner makes objects beside casecli's (PostgreSQL 15's default; a database
-- made from an older cluster's template may still let everyone).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- Read: everything but the rejects (raw export rows of any case: an admin's).
GRANT SELECT ON staff, cases, people, events, referrals, signals, payments, removals,
    placements, case_goals, costs, sync_log, sync_files, sync_cases, recorded_events,
    barriers, goal_progress, notes, performance_goals, audit_log, pragma_user_version,
    casecli_schema  -- (the schema's version: casecli db check, by anyone)
    TO casecli_worker, casecli_supervisor, casecli_manager, casecli_admin;
-- Local writes (record, wait, resolve, progress, notes), each through the policies.
GRANT INSERT ON recorded_events, barriers, goal_progress, notes
    TO casecli_worker, casecli_supervisor, casecli_manager, casecli_admin;
GRANT UPDATE (resolved_on, resolved_by, note) ON barriers
    TO casecli_worker, casecli_supervisor, casecli_manager, casecli_admin;
GRANT INSERT ON performance_goals TO casecli_supervisor, casecli_manager, casecli_admin;
-- The sync (an admin's): the export tables and its bookkeeping.
GRANT SELECT, INSERT, UPDATE ON staff, cases, people, events, referrals, signals, payments,
    removals, placements, case_goals, costs, sync_log, sync_files, sync_cases, rejects
    TO casecli_admin;
-- The audit log: read only, by every role; written by the triggers below alone. No
-- role but its owner may update, delete, truncate or drop it (and the owner's updates
-- and deletes are refused by triggers too).

-- Row-level security: what each session sees --------------------------------------

-- Tables every role reads whole (staff, costs, the sync's log), and the rejects (an
-- admin's alone, by grant): written by an active admin only, so that no one who holds
-- the admin role can make themselves an active admin again by editing staff.
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['staff', 'costs', 'sync_log', 'sync_files', 'rejects']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS everyone ON %I', t);
        IF t <> 'rejects' THEN
            EXECUTE format('CREATE POLICY everyone ON %I FOR SELECT USING (true)', t);
        END IF;
    END LOOP;
END
$$;

ALTER TABLE cases ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS scope ON cases;
-- (The assigned cases' test is not an index condition: casecli's own statements name the
-- scope's workers (casecli.core.store.scope), which the indexes serve; a raw read of
-- cases with no condition of its own reads the table.)
CREATE POLICY scope ON cases FOR SELECT USING (
    (SELECT casecli_seen_worker_set()) ? worker_id
    OR (worker_id IS NULL AND (
        unit_id = ANY (CAST((SELECT casecli_seen_units()) AS TEXT[]))
        OR (unit_id IS NULL AND office_id = (SELECT casecli_seen_office()))))
);

-- Tables whose rows belong to one case: seen with their case.
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['people', 'events', 'referrals', 'payments', 'removals',
                             'case_goals', 'recorded_events', 'barriers', 'goal_progress',
                             'notes']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS scope ON %I', t);
        EXECUTE format('CREATE POLICY scope ON %I FOR SELECT USING (EXISTS'
                       ' (SELECT 1 FROM cases c WHERE c.case_id = %I.case_id))', t, t);
    END LOOP;
END
$$;

-- A signal reaches its case, or every case of its person (casedata).
ALTER TABLE signals ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS scope ON signals;
CREATE POLICY scope ON signals FOR SELECT USING (
    EXISTS (SELECT 1 FROM cases c WHERE c.case_id = signals.case_id)
    OR EXISTS (SELECT 1 FROM people p WHERE p.person_id = signals.person_id
               AND p._gone_on IS NULL)
);

ALTER TABLE placements ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS scope ON placements;
CREATE POLICY scope ON placements FOR SELECT
    USING (EXISTS (SELECT 1 FROM removals r WHERE r.removal_id = placements.removal_id));

-- Which cases each sync changed: the session's cases, and '*' (every case).
ALTER TABLE sync_cases ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS scope ON sync_cases;
CREATE POLICY scope ON sync_cases FOR SELECT
    USING (case_id = '*' OR EXISTS (SELECT 1 FROM cases c WHERE c.case_id = sync_cases.case_id));

-- The audit log: one's own entries (an admin's policy below: all).
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS scope ON audit_log;
CREATE POLICY scope ON audit_log FOR SELECT USING (who = session_user);

-- Local writes: on a case the session sees, in its own name.
DO $$
DECLARE t TEXT; who TEXT;
BEGIN
    FOR t, who IN SELECT * FROM (VALUES ('recorded_events', 'recorded_by'),
        ('barriers', 'opened_by'), ('goal_progress', 'recorded_by'), ('notes', 'recorded_by')) v
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS write ON %I', t);
        EXECUTE format('CREATE POLICY write ON %I FOR INSERT WITH CHECK ('
                       'EXISTS (SELECT 1 FROM cases c WHERE c.case_id = %I.case_id)'
                       ' AND %I = (SELECT me.staff_id FROM casecli_me() me))', t, t, who);
    END LOOP;
END
$$;
-- Progress only on a goal of the case it names (progress is read by goal).
DROP POLICY IF EXISTS goal_of_case ON goal_progress;
CREATE POLICY goal_of_case ON goal_progress AS RESTRICTIVE FOR INSERT WITH CHECK (
    EXISTS (SELECT 1 FROM case_goals g
            WHERE g.goal_id = goal_progress.goal_id AND g.case_id = goal_progress.case_id)
);
-- Resolving: an open barrier of a case one sees, resolved in one's own name (never
-- reopened, nor rewritten once resolved).
DROP POLICY IF EXISTS resolve ON barriers;
CREATE POLICY resolve ON barriers FOR UPDATE
    USING (EXISTS (SELECT 1 FROM cases c WHERE c.case_id = barriers.case_id)
           AND resolved_on IS NULL)
    WITH CHECK (resolved_on IS NOT NULL
                AND resolved_by = (SELECT me.staff_id FROM casecli_me() me));

ALTER TABLE performance_goals ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS everyone ON performance_goals;
CREATE POLICY everyone ON performance_goals FOR SELECT USING (true);
DROP POLICY IF EXISTS write ON performance_goals;
CREATE POLICY write ON performance_goals FOR INSERT WITH CHECK (
    casecli_may_set_goal(scope_kind, scope_id)
    AND set_by = (SELECT me.staff_id FROM casecli_me() me)
);

-- An admin sees and writes every row of these tables (and may act as others: audited).
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['cases', 'people', 'events', 'referrals', 'payments',
                             'removals', 'case_goals', 'recorded_events', 'barriers',
                             'goal_progress', 'notes', 'signals', 'placements',
                             'sync_cases', 'audit_log', 'performance_goals', 'staff',
                             'costs', 'sync_log', 'sync_files', 'rejects']
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS admin ON %I', t);
        EXECUTE format('CREATE POLICY admin ON %I TO casecli_admin'
                       ' USING ((SELECT casecli_is_admin()))'
                       ' WITH CHECK ((SELECT casecli_is_admin()))', t);
    END LOOP;
END
$$;

-- A resolved barrier stays resolved, for an admin too (a restrictive policy: it holds
-- whatever the permissive ones allow).
DROP POLICY IF EXISTS stays_resolved ON barriers;
CREATE POLICY stays_resolved ON barriers AS RESTRICTIVE FOR UPDATE
    USING (resolved_on IS NULL) WITH CHECK (resolved_on IS NOT NULL);

-- Local rows' ids are the database's alone (a store made before this was so: set again).
ALTER TABLE recorded_events ALTER COLUMN id SET GENERATED ALWAYS;
ALTER TABLE barriers ALTER COLUMN barrier_id SET GENERATED ALWAYS;
ALTER TABLE goal_progress ALTER COLUMN id SET GENERATED ALWAYS;
ALTER TABLE notes ALTER COLUMN id SET GENERATED ALWAYS;
ALTER TABLE performance_goals ALTER COLUMN id SET GENERATED ALWAYS;

-- The audit log, written from the session's login ---------------------------------
-- Each local write adds its audit row in the same transaction, by these triggers (owned
-- by the schema's owner): who is the session's login, never what the client says. A
-- client may say whom an admin acts as (SET LOCAL casecli.acting_as = 'S0004'): only an
-- admin's session may, and the row says "admin LOGIN acting as S0004". The detail holds
-- ids, kinds, dates and enum values only, as on a personal store (casecli.core.local.record):
-- free text (a barrier's what, a result, a note) stays in the row itself.

-- Which case each local write changed, in the order the writes committed: what a person's
-- kept evaluations are checked against (casecli.core.local.kept: a brief kept beside the
-- person is used while no sync and no write since has changed its case). Written by the
-- deferred triggers at the end of this file as each writing transaction commits, under a
-- lock held to the end of the commit: so a later seq is always a later commit, and a reader
-- who has seen seq N has seen every change before it (ids from a sequence alone follow the
-- order writes begin, not the order they commit). Seen with its case, like sync_cases
-- ('*': a change of no one case, a goal). The audit log itself stays one's own.
CREATE TABLE IF NOT EXISTS casecli_changes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id TEXT NOT NULL,
    at TEXT NOT NULL
);
-- Which table the write was to (revision 6): kept measure counts read only the recorded
-- events of all the local tables, so a barrier or a note leaves them as they are (NULL: a
-- change noted by revision 5, of any table).
ALTER TABLE casecli_changes ADD COLUMN IF NOT EXISTS source TEXT;
GRANT SELECT ON casecli_changes TO casecli_worker, casecli_supervisor, casecli_manager,
    casecli_admin;
ALTER TABLE casecli_changes ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS scope ON casecli_changes;
CREATE POLICY scope ON casecli_changes FOR SELECT USING (
    case_id = '*' OR EXISTS (SELECT 1 FROM cases c WHERE c.case_id = casecli_changes.case_id)
);
DROP POLICY IF EXISTS admin ON casecli_changes;
CREATE POLICY admin ON casecli_changes FOR SELECT TO casecli_admin
    USING ((SELECT casecli_is_admin()));

CREATE OR REPLACE FUNCTION casecli_audit()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    acting TEXT := nullif(current_setting('casecli.acting_as', true), '');
    row_json JSONB := to_jsonb(NEW);
    detail JSONB := '{}'::jsonb;
    col TEXT;
    who TEXT := session_user;
BEGIN
    IF acting IS NOT NULL AND acting IS DISTINCT FROM (SELECT me.staff_id FROM casecli_me() me) THEN
        IF NOT (pg_has_role(session_user, 'casecli_admin', 'MEMBER') AND casecli_is_admin()) THEN
            RAISE EXCEPTION 'only an admin may act as another staff member (login %)', session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        who := format('admin %s acting as %s', session_user, acting);
    END IF;
    FOREACH col IN ARRAY TG_ARGV[2:] LOOP
        detail := detail || jsonb_build_object(col, row_json -> col);
    END LOOP;
    INSERT INTO audit_log (at, who, action, entity, entity_id, detail)
    VALUES (to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            who, TG_ARGV[0], TG_TABLE_NAME, row_json ->> TG_ARGV[1], detail::text);
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION casecli_audit() FROM PUBLIC;

DROP TRIGGER IF EXISTS audit_record ON recorded_events;
CREATE TRIGGER audit_record AFTER INSERT ON recorded_events FOR EACH ROW
    EXECUTE FUNCTION casecli_audit('record', 'id', 'case_id', 'kind', 'person_id',
                                   'occurred_at', 'recorded_by');
DROP TRIGGER IF EXISTS audit_wait ON barriers;
CREATE TRIGGER audit_wait AFTER INSERT ON barriers FOR EACH ROW
    EXECUTE FUNCTION casecli_audit('wait', 'barrier_id', 'case_id', 'service', 'step',
                                   'expect_on', 'opened_by');
DROP TRIGGER IF EXISTS audit_resolve ON barriers;
CREATE TRIGGER audit_resolve AFTER UPDATE ON barriers FOR EACH ROW
    EXECUTE FUNCTION casecli_audit('resolve', 'barrier_id', 'case_id', 'resolved_on',
                                   'resolved_by');
DROP TRIGGER IF EXISTS audit_progress ON goal_progress;
CREATE TRIGGER audit_progress AFTER INSERT ON goal_progress FOR EACH ROW
    EXECUTE FUNCTION casecli_audit('progress', 'id', 'case_id', 'goal_id', 'percent',
                                   'status', 'recorded_by');
DROP TRIGGER IF EXISTS audit_note ON notes;
CREATE TRIGGER audit_note AFTER INSERT ON notes FOR EACH ROW
    EXECUTE FUNCTION casecli_audit('note', 'id', 'case_id', 'recorded_by');
DROP TRIGGER IF EXISTS audit_goal ON performance_goals;
CREATE TRIGGER audit_goal AFTER INSERT ON performance_goals FOR EACH ROW
    EXECUTE FUNCTION casecli_audit('goal', 'id', 'scope_kind', 'scope_id', 'measure',
                                   'target', 'period', 'set_by');

-- Each local write's case into casecli_changes (above), as its transaction commits: a
-- deferred constraint trigger fires then, so the lock that orders the changes is held from
-- there to the end of the commit alone, never while a session that wrote sits idle in its
-- transaction. The lock is the table's own, in a mode only its owner may take (a user
-- role may read the table: ACCESS SHARE, which it does not conflict with), not an advisory
-- lock, which any session may take by its number and hold; a writer kept waiting longer
-- than lock_timeout (a session that made the trigger fire early, SET CONSTRAINTS ALL
-- IMMEDIATE, and sits idle) is refused rather than held for ever.
CREATE OR REPLACE FUNCTION casecli_note_change()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
SET lock_timeout = '15s' AS $$
BEGIN
    LOCK TABLE casecli_changes IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO casecli_changes (case_id, at, source)
    VALUES (coalesce(to_jsonb(NEW) ->> 'case_id', '*'),
            to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            TG_TABLE_NAME);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION casecli_note_change() FROM PUBLIC;
DO $$
DECLARE t TEXT; ops TEXT;
BEGIN
    FOR t, ops IN SELECT * FROM (VALUES ('recorded_events', 'INSERT'),
        ('barriers', 'INSERT OR UPDATE'), ('goal_progress', 'INSERT'), ('notes', 'INSERT'),
        ('performance_goals', 'INSERT')) v
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS note_change ON %I', t);
        EXECUTE format('CREATE CONSTRAINT TRIGGER note_change AFTER %s ON %I'
                       ' DEFERRABLE INITIALLY DEFERRED FOR EACH ROW'
                       ' EXECUTE FUNCTION casecli_note_change()', ops, t);
    END LOOP;
END
$$;

-- The changes of more than a week ago, deleted after each sync (casecli.core.ingest.
-- team_sync): what is kept lives a day or two, so no kept mark is that old, and reading a
-- login's latest change (under the row-level security, back from the newest) stays short.
-- A kept mark whose change is gone no longer matches its lineage: evaluated again.
CREATE OR REPLACE FUNCTION casecli_prune_changes()
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM casecli_changes
    WHERE at < to_char((now() - interval '7 days') AT TIME ZONE 'UTC',
                       'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
REVOKE ALL ON FUNCTION casecli_prune_changes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION casecli_prune_changes() TO casecli_admin;

-- Append-only, even for its owner: no update, delete or truncate.
CREATE OR REPLACE FUNCTION casecli_append_only()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW
    EXECUTE FUNCTION casecli_append_only();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT
    EXECUTE FUNCTION casecli_append_only();

-- Which revision of this file and of sqlite.sql the store has (casecli.core.store.team.
-- REVISION): a casecli newer than the store's functions and policies says so in a sentence
-- (casecli db migrate applies them again) rather than failing on a function it lacks.
CREATE OR REPLACE FUNCTION casecli_revision()
RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$ SELECT 6 $$;

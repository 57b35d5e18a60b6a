-- casecli team store on PostgreSQL, schema 10 (issue 17).
-- The same tables, columns and indexes as a SQLite store at schema 10 (migrations/0001 to
-- 0010), written for PostgreSQL: a team store starts at schema 10, and every later
-- version of the one list (migrations/NNNN_*.sql) has its PostgreSQL file here beside it
-- (casecli.core.store.team). Dates stay ISO text, as on SQLite, so that one body of SQL
-- compares them the same on both. Who may see and write what (roles, row-level security,
-- the audit triggers) is not here but in security.sql, applied after every migration.

CREATE TABLE staff (
    staff_id       TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    unit_id        TEXT,
    unit_name      TEXT,
    office_id      TEXT,
    office_name    TEXT,
    supervisor_id  TEXT,
    hours_per_week DOUBLE PRECISION,
    active         INTEGER,
    _gone_on TEXT, _sync_id BIGINT,
    login          TEXT
);
CREATE INDEX staff_unit ON staff(unit_id);
CREATE INDEX staff_office ON staff(office_id);
CREATE INDEX staff_login ON staff(login);

CREATE TABLE cases (
    case_id              TEXT PRIMARY KEY,
    program              TEXT NOT NULL,
    case_type            TEXT NOT NULL,
    status               TEXT NOT NULL,
    opened_on            TEXT NOT NULL,
    closed_on            TEXT,
    worker_id            TEXT,
    name                 TEXT,
    risk_level           TEXT,
    response_hours       INTEGER,
    permanency_goal      TEXT,
    goal_target_on       TEXT,
    order_established_on TEXT,
    updated_at           TEXT,
    _gone_on TEXT, _sync_id BIGINT,
    unit_id              TEXT,
    office_id            TEXT
);
CREATE INDEX cases_worker ON cases(worker_id, status, _gone_on, program);
CREATE INDEX cases_unassigned ON cases(unit_id, office_id) WHERE worker_id IS NULL;

CREATE TABLE people (
    person_id                TEXT NOT NULL,
    case_id                  TEXT NOT NULL,
    role                     TEXT NOT NULL,
    name                     TEXT,
    birth_on                 TEXT,
    born_out_of_wedlock      INTEGER,
    paternity_established_on TEXT,
    _gone_on TEXT, _sync_id BIGINT,
    PRIMARY KEY (person_id, case_id)
);
CREATE INDEX people_case ON people(case_id);

CREATE TABLE events (
    event_id     TEXT PRIMARY KEY,
    case_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    scheduled_on TEXT,
    completed_on TEXT,
    person_id    TEXT,
    staff_id     TEXT,
    location     TEXT,
    result       TEXT,
    _gone_on TEXT, _sync_id BIGINT
);
CREATE INDEX events_case ON events(case_id);
CREATE INDEX events_finding_person
    ON events(person_id, case_id, completed_on, status, result, _gone_on, kind)
    WHERE kind = 'finding';

CREATE TABLE referrals (
    referral_id TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    service     TEXT NOT NULL,
    status      TEXT NOT NULL,
    referred_on TEXT NOT NULL,
    person_id   TEXT,
    provider    TEXT,
    started_on  TEXT,
    ended_on    TEXT,
    _gone_on TEXT, _sync_id BIGINT
);
CREATE INDEX referrals_case ON referrals(case_id);

CREATE TABLE signals (
    signal_id   TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    person_id   TEXT,
    case_id     TEXT,
    source      TEXT,
    detail      TEXT,
    _gone_on TEXT, _sync_id BIGINT
);
CREATE INDEX signals_case ON signals(case_id);
CREATE INDEX signals_person ON signals(person_id);

CREATE TABLE payments (
    case_id      TEXT NOT NULL,
    month        TEXT NOT NULL,
    current_due  BIGINT NOT NULL,
    current_paid BIGINT NOT NULL,
    arrears_due  BIGINT,
    arrears_paid BIGINT,
    _gone_on TEXT, _sync_id BIGINT,
    PRIMARY KEY (case_id, month)
);

CREATE TABLE removals (
    removal_id       TEXT PRIMARY KEY,
    case_id          TEXT NOT NULL,
    person_id        TEXT NOT NULL,
    removed_on       TEXT NOT NULL,
    discharged_on    TEXT,
    discharge_reason TEXT,
    _gone_on TEXT, _sync_id BIGINT
);
CREATE INDEX removals_case ON removals(case_id);

CREATE TABLE placements (
    placement_id TEXT PRIMARY KEY,
    removal_id   TEXT NOT NULL,
    setting      TEXT NOT NULL,
    start_on     TEXT NOT NULL,
    end_on       TEXT,
    _gone_on TEXT, _sync_id BIGINT,
    provider_id  TEXT
);
CREATE INDEX placements_removal ON placements(removal_id);

CREATE TABLE case_goals (
    goal_id     TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    description TEXT NOT NULL,
    person_id   TEXT,
    target_on   TEXT,
    status      TEXT,
    _gone_on TEXT, _sync_id BIGINT
);
CREATE INDEX case_goals_case ON case_goals(case_id);

CREATE TABLE costs (
    office_id    TEXT NOT NULL,
    period       TEXT NOT NULL,
    expenditures BIGINT NOT NULL,
    _gone_on TEXT, _sync_id BIGINT,
    PRIMARY KEY (office_id, period)
);

-- Sync bookkeeping -----------------------------------------------------------

CREATE TABLE sync_log (
    sync_id     BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    folder      TEXT NOT NULL,
    source      TEXT,
    as_of       TEXT,
    kind        TEXT NOT NULL,
    profile     TEXT NOT NULL,
    status      TEXT NOT NULL,
    inserted    BIGINT NOT NULL DEFAULT 0,
    updated     BIGINT NOT NULL DEFAULT 0,
    unchanged   BIGINT NOT NULL DEFAULT 0,
    gone        BIGINT NOT NULL DEFAULT 0,
    rejected    BIGINT NOT NULL DEFAULT 0,
    resolved    BIGINT NOT NULL DEFAULT 0,
    run_by      TEXT,
    os_user     TEXT
);

CREATE TABLE sync_files (
    sync_id     BIGINT NOT NULL REFERENCES sync_log(sync_id),
    record_type TEXT NOT NULL,
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    inserted    BIGINT NOT NULL,
    updated     BIGINT NOT NULL,
    unchanged   BIGINT NOT NULL,
    gone        BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    skipped     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sync_id, record_type)
);

CREATE TABLE rejects (
    reject_id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    sync_id          BIGINT NOT NULL REFERENCES sync_log(sync_id),
    record_type      TEXT NOT NULL,
    file             TEXT NOT NULL,
    line             BIGINT,
    "column"         TEXT,
    value            TEXT,
    reason           TEXT NOT NULL,
    row_key          TEXT,
    raw              TEXT NOT NULL,
    retryable        INTEGER NOT NULL DEFAULT 0,
    resolved_sync_id BIGINT,
    resolution       TEXT,
    seen_sync_id     BIGINT
);
CREATE INDEX rejects_outstanding ON rejects(record_type, row_key) WHERE resolved_sync_id IS NULL;

CREATE TABLE sync_cases (
    sync_id BIGINT NOT NULL,
    case_id TEXT NOT NULL,
    PRIMARY KEY (sync_id, case_id)
);

-- Local tables: written only by users through casecli, never by a sync ------
-- Their ids are the database's alone (GENERATED ALWAYS): a client naming an id could take
-- the next one from another person's write, or move the marks kept evaluations read.

CREATE TABLE recorded_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(case_id),
    kind        TEXT NOT NULL,
    person_id   TEXT,
    occurred_at TEXT NOT NULL,
    location    TEXT,
    result      TEXT,
    note        TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    event_id    TEXT
);
CREATE INDEX recorded_events_case ON recorded_events(case_id);

CREATE TABLE barriers (
    barrier_id  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(case_id),
    what        TEXT NOT NULL,
    service     TEXT,
    step        TEXT,
    expect_on   TEXT,
    opened_on   TEXT NOT NULL,
    opened_by   TEXT NOT NULL,
    resolved_on TEXT,
    resolved_by TEXT,
    note        TEXT
);
CREATE INDEX barriers_case ON barriers(case_id);

CREATE TABLE goal_progress (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(case_id),
    goal_id     TEXT NOT NULL,
    percent     INTEGER,
    status      TEXT,
    note        TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX goal_progress_goal ON goal_progress(goal_id);

CREATE TABLE notes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases(case_id),
    text        TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX notes_case ON notes(case_id);

CREATE TABLE performance_goals (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope_kind TEXT NOT NULL,
    scope_id   TEXT NOT NULL,
    measure    TEXT NOT NULL,
    target     DOUBLE PRECISION NOT NULL,
    period     TEXT,
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL
);

-- Append-only: who did what, when. On a team store its rows are written by triggers
-- (security.sql) from the session's login, never by what a client says.
CREATE TABLE audit_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TEXT NOT NULL,
    who       TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT,
    detail    TEXT
);

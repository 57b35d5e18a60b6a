-- casecli team store on PostgreSQL: the few SQLite functions casecli's one body of SQL
-- uses that PostgreSQL lacks or says otherwise (issue 17 item 2, casecli.core.store.dialect).
-- Applied by `casecli db init` and after every migration, before security.sql; every
-- statement may run again. Each does what SQLite's does, on the ISO text dates both stores
-- keep, so a measure or a ranking reads the same number from either:
--
--   julianday(t)        the Julian day of an ISO date or date-time (UTC when it carries an
--                       offset), NULL for anything else; julianday of a number is itself;
--   date(t, mods...)    'YYYY-MM-DD' of t after the modifiers '[+-]N day(s)|month(s)|
--   datetime(t, mods...)  year(s)' and 'start of month|year|day'; t an ISO text or a
--                       Julian day; NULL for an unreadable t or modifier. A month or year
--                       added keeps the day and lets it run over, as SQLite does
--                       (2026-01-31 '+1 month' is 2026-03-03; 2024-02-29 '+18 years' is
--                       2042-03-01), where PostgreSQL's interval would stop at the
--                       month's end;
--                       (A quoted literal alone, date('2026-01-01'), stays PostgreSQL's
--                       cast to its date type: casecli's SQL never writes one.)
--                       Where they still differ, on dates no sync lets into a store: a
--                       day past its month's end (2026-02-30) runs over before a month is
--                       added (SQLite adds to the day as written), and date() of it alone
--                       is 2026-03-02 (SQLite echoes it); year 0000 is NULL here, and so
--                       is a date with a bare T after it (2026-01-01T: SQLite reads the
--                       day).
--   total(x)            a float sum that is 0.0 over no rows;
--   sum and total of a boolean count its trues (SQLite's booleans are 0 and 1); max and
--                       min of booleans are their OR and AND;
--   min(a, b, ...), max(a, b, ...)  the least or greatest of 2 to 4 values, NULL when any
--                       is NULL (PostgreSQL's least and greatest skip NULLs).
--   pragma_user_version  a view: the store's schema version, as SQLite's pragma says it.
--
-- They live in the schema's owner's schema (public), which no user role may create in.

CREATE OR REPLACE FUNCTION julianday(t double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT t $$;

CREATE OR REPLACE FUNCTION casecli_julianday_text(t text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    m TEXT[];
    days INTEGER;
    secs DOUBLE PRECISION := 0;
BEGIN
    m := regexp_match(t, '^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?'
                         '\s*(Z|z|[+-]\d{2}:\d{2})?$');
    IF m IS NULL THEN
        IF t ~ '^\s*[+-]?\d+(\.\d+)?\s*$' THEN
            RETURN t::double precision;
        END IF;
        RETURN NULL;
    END IF;
    IF m[2]::int NOT BETWEEN 1 AND 12 OR m[3]::int NOT BETWEEN 1 AND 31 OR m[1]::int = 0 THEN
        RETURN NULL;
    END IF;
    -- the day counted from the month's first, so that a day past the month's end runs
    -- over into the next month (SQLite's 2026-02-30 is 2026-03-02)
    days := (make_date(m[1]::int, m[2]::int, 1) + (m[3]::int - 1)) - DATE '1970-01-01';
    IF m[4] IS NOT NULL THEN
        IF m[4]::int > 24 OR m[5]::int > 59 OR coalesce(m[6]::double precision, 0) >= 60 THEN
            RETURN NULL;  -- (SQLite's: 24:00 is the next midnight, 25:00 or 12:60 nothing)
        END IF;
        secs := m[4]::int * 3600 + m[5]::int * 60 + coalesce(m[6]::double precision, 0);
    END IF;
    IF m[7] IS NOT NULL AND upper(m[7]) <> 'Z' THEN  -- an offset: the same moment in UTC
        secs := secs - (CASE WHEN left(m[7], 1) = '-' THEN -1 ELSE 1 END)
                       * (substr(m[7], 2, 2)::int * 3600 + substr(m[7], 5, 2)::int * 60);
    END IF;
    RETURN days + secs / 86400.0 + 2440587.5;
END
$$;

-- julianday(text): the shapes the exports hold ('YYYY-MM-DD', and a time of day after it
-- with no fraction or offset) read by an expression PostgreSQL inlines into the statement;
-- anything else by casecli_julianday_text, which reads every shape SQLite does. (PL/pgSQL
-- alone cost 33-50 µs a call, 1 s of an office's visit measure for one date() a row; the
-- expression, under 1 µs. Both give the same double for the same text.)
CREATE OR REPLACE FUNCTION julianday(t text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN t ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' AND left(t, 4) <> '0000'
        THEN (make_date(substr(t, 1, 4)::int, substr(t, 6, 2)::int, 1)
              + (substr(t, 9, 2)::int - 1) - DATE '1970-01-01') + 2440587.5
        WHEN t ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$'
             AND left(t, 4) <> '0000'
        THEN (make_date(substr(t, 1, 4)::int, substr(t, 6, 2)::int, 1)
              + (substr(t, 9, 2)::int - 1) - DATE '1970-01-01')
             + (substr(t, 12, 2)::int * 3600 + substr(t, 15, 2)::int * 60
                + coalesce(nullif(substr(t, 18, 2), ''), '0')::double precision) / 86400.0
             + 2440587.5
        ELSE public.casecli_julianday_text(t)
    END
$$;

-- The Julian day jd after SQLite's modifiers, or NULL.
CREATE OR REPLACE FUNCTION casecli_shifted(jd double precision, mods TEXT[])
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    mod TEXT;
    m TEXT[];
    n INTEGER;
    day DATE;
    y INTEGER; mo INTEGER; d INTEGER;
    frac DOUBLE PRECISION;
BEGIN
    -- (no EXCEPTION block anywhere here: it would start a subtransaction for every row, and
    -- PostgreSQL refuses one in a parallel plan; every input that could raise is NULL first)
    IF jd IS NULL OR jd NOT BETWEEN 1721059.5 AND 5373484.5 THEN
        RETURN NULL;
    END IF;
    FOREACH mod IN ARRAY coalesce(mods, ARRAY[]::TEXT[]) LOOP
        IF mod IS NULL THEN
            RETURN NULL;
        END IF;
        mod := lower(btrim(mod));
        m := regexp_match(mod, '^([+-]?\d{1,7})\s+(day|month|year)s?$');
        IF m IS NOT NULL AND m[2] = 'day' THEN  -- (out of range on the way is fine, as in SQLite)
            jd := jd + m[1]::int;
            CONTINUE;
        END IF;
        IF jd NOT BETWEEN 1721059.5 AND 5373484.5 THEN
            RETURN NULL;  -- (a month, a year or a start of: only of a day SQLite has)
        END IF;
        day := DATE '1970-01-01' + floor(jd - 2440587.5)::int;
        frac := (jd - 2440587.5) - floor(jd - 2440587.5);
        IF m IS NOT NULL THEN
            n := m[1]::int;
            y := extract(year FROM day)::int;
            mo := extract(month FROM day)::int - 1;
            d := extract(day FROM day)::int;
            IF m[2] = 'month' THEN
                mo := mo + n;
            ELSE
                y := y + n;
            END IF;
            y := y + floor(mo / 12.0)::int;
            mo := mo - 12 * floor(mo / 12.0)::int;
            IF y NOT BETWEEN 1 AND 9999 THEN  -- (SQLite's years, and no error to catch)
                RETURN NULL;
            END IF;
            day := make_date(y, mo + 1, 1) + (d - 1);
        ELSIF mod = 'start of month' THEN
            day := date_trunc('month', day)::date; frac := 0;
        ELSIF mod = 'start of year' THEN
            day := date_trunc('year', day)::date; frac := 0;
        ELSIF mod = 'start of day' THEN
            frac := 0;
        ELSE
            RETURN NULL;
        END IF;
        jd := (day - DATE '1970-01-01') + frac + 2440587.5;
    END LOOP;
    RETURN jd;
END
$$;

-- 'YYYY-MM-DD' (and ' HH:MM:SS') of a Julian day; years 0000 to 9999 as SQLite has them.
CREATE OR REPLACE FUNCTION casecli_day_text(jd double precision, with_time BOOLEAN)
RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    day DATE;
    secs INTEGER;
BEGIN
    IF jd IS NULL OR jd < 1721059.5 OR jd >= 5373484.5 THEN
        RETURN NULL;
    END IF;
    day := DATE '1970-01-01' + floor(jd - 2440587.5)::int;
    IF NOT with_time THEN
        RETURN to_char(day, 'YYYY-MM-DD');
    END IF;
    secs := floor(((jd - 2440587.5) - floor(jd - 2440587.5)) * 86400 + 0.0005)::int;
    IF secs >= 86400 THEN
        day := day + 1; secs := secs - 86400;
    END IF;
    RETURN to_char(day, 'YYYY-MM-DD') || ' '
        || lpad((secs / 3600)::text, 2, '0') || ':' || lpad((secs / 60 % 60)::text, 2, '0')
        || ':' || lpad((secs % 60)::text, 2, '0');
END
$$;

CREATE OR REPLACE FUNCTION date(t TEXT, VARIADIC mods TEXT[]) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT casecli_day_text(casecli_shifted(julianday(t), mods), false) $$;
CREATE OR REPLACE FUNCTION date(t TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT casecli_day_text(julianday(t), false) $$;
CREATE OR REPLACE FUNCTION date(jd double precision) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT casecli_day_text(jd, false) $$;
CREATE OR REPLACE FUNCTION datetime(t TEXT, VARIADIC mods TEXT[]) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT casecli_day_text(casecli_shifted(julianday(t), mods), true) $$;
CREATE OR REPLACE FUNCTION datetime(t TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT casecli_day_text(julianday(t), true) $$;
CREATE OR REPLACE FUNCTION datetime(jd double precision) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT casecli_day_text(jd, true) $$;

-- Aggregates -------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION casecli_total_add(s double precision, x double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT s + coalesce(x, 0) $$;
CREATE OR REPLACE AGGREGATE total(double precision) (
    SFUNC = casecli_total_add, STYPE = double precision, INITCOND = '0', PARALLEL = SAFE
);

CREATE OR REPLACE FUNCTION casecli_bool_add(s BIGINT, b BOOLEAN) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN b IS NULL THEN s ELSE coalesce(s, 0) + b::int END $$;
CREATE OR REPLACE AGGREGATE sum(BOOLEAN) (
    SFUNC = casecli_bool_add, STYPE = BIGINT, PARALLEL = SAFE
);
CREATE OR REPLACE FUNCTION casecli_bool_total(s double precision, b BOOLEAN)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT s + coalesce(b::int, 0) $$;
CREATE OR REPLACE AGGREGATE total(BOOLEAN) (
    SFUNC = casecli_bool_total, STYPE = double precision, INITCOND = '0', PARALLEL = SAFE
);
-- max and min of booleans stay booleans (PostgreSQL's bool_or and bool_and), so that
-- what a query builds on them (a sum, an AND) reads as it does on SQLite's 0 and 1.
CREATE OR REPLACE FUNCTION casecli_bool_max(s BOOLEAN, b BOOLEAN) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN b IS NULL THEN s WHEN s IS NULL THEN b ELSE s OR b END $$;
CREATE OR REPLACE AGGREGATE max(BOOLEAN) (
    SFUNC = casecli_bool_max, STYPE = BOOLEAN, PARALLEL = SAFE
);
CREATE OR REPLACE FUNCTION casecli_bool_min(s BOOLEAN, b BOOLEAN) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN b IS NULL THEN s WHEN s IS NULL THEN b ELSE s AND b END $$;
CREATE OR REPLACE AGGREGATE min(BOOLEAN) (
    SFUNC = casecli_bool_min, STYPE = BOOLEAN, PARALLEL = SAFE
);

-- SQLite's scalar min and max of several values ---------------------------------------

CREATE OR REPLACE FUNCTION min(a anycompatible, b anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE least(a, b) END $$;
CREATE OR REPLACE FUNCTION min(a anycompatible, b anycompatible, c anycompatible)
RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN a IS NULL OR b IS NULL OR c IS NULL THEN NULL ELSE least(a, b, c) END $$;
CREATE OR REPLACE FUNCTION min(a anycompatible, b anycompatible, c anycompatible,
                               d anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN a IS NULL OR b IS NULL OR c IS NULL OR d IS NULL THEN NULL
               ELSE least(a, b, c, d) END $$;
CREATE OR REPLACE FUNCTION max(a anycompatible, b anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE greatest(a, b) END $$;
CREATE OR REPLACE FUNCTION max(a anycompatible, b anycompatible, c anycompatible)
RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN a IS NULL OR b IS NULL OR c IS NULL THEN NULL ELSE greatest(a, b, c) END $$;
CREATE OR REPLACE FUNCTION max(a anycompatible, b anycompatible, c anycompatible,
                               d anycompatible) RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN a IS NULL OR b IS NULL OR c IS NULL OR d IS NULL THEN NULL
               ELSE greatest(a, b, c, d) END $$;

-- SQLite's schema version, read as SQLite reads it ------------------------------------

CREATE OR REPLACE VIEW pragma_user_version AS
    SELECT max(version) AS user_version FROM casecli_schema;

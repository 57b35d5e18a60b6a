-- casecli store, schema 10: the index of a worker's cases also holds whether the case was
-- marked gone (issue 15). Every view over many cases asks for the open, not-gone cases of
-- some workers; with (worker_id, status) alone SQLite read each case's row for _gone_on
-- (0.36 s for a 60,000-case office at 1.3 million cases), with _gone_on in the index the
-- index answers alone (0.03 s: case_id, the key, is in every index of a WITHOUT ROWID
-- table). The same name, so nothing that names it changes.
DROP INDEX IF EXISTS cases_worker;
CREATE INDEX cases_worker ON cases(worker_id, status, _gone_on);

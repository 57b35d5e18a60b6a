-- casecli store, schema 10: the index of a worker's cases also holds whether the case was
-- marked gone and its program (issue 15). Every view over many cases asks for the open,
-- not-gone cases of some workers, and the unit and office views for how many of them each
-- program has (the key measure); with (worker_id, status) alone SQLite read each case's
-- row (0.36 s and 0.18 s for a 60,000-case office at 1.3 million cases), with these in
-- the index the index answers alone (0.03 s and 0.02 s: case_id, the key, is in every
-- index of a WITHOUT ROWID table). The same name, so nothing that names it changes.
DROP INDEX IF EXISTS cases_worker;
CREATE INDEX cases_worker ON cases(worker_id, status, _gone_on, program);

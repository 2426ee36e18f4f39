-- Agent database, version 2: the last good set of checks pulled from the
-- collector, so an agent restarted while the collector is down still runs
-- the right checks.
CREATE TABLE remote_checks (
	id		INTEGER PRIMARY KEY CHECK (id = 1),
	etag		TEXT,
	body		TEXT NOT NULL,	-- {"checks": [...]} as the collector sent it
	fetched_at	INTEGER NOT NULL	-- Unix ms
);

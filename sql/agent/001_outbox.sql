-- Agent database, version 1: the result outbox.
-- Each row is one result; body is its JSON record (DESIGN.md), seq included.
-- shipped: 0 waiting for the collector, 1 acknowledged or local-only.
CREATE TABLE results (
	seq		INTEGER PRIMARY KEY,	-- per-agent, rises by one, never reused
	ts		INTEGER NOT NULL,	-- start, Unix ms UTC
	check_name	TEXT NOT NULL,
	ok		INTEGER NOT NULL,
	error_class	TEXT,
	shipped		INTEGER NOT NULL DEFAULT 0,
	body		TEXT NOT NULL
);
CREATE INDEX results_shipped_seq ON results (shipped, seq);
CREATE INDEX results_ts ON results (ts);

-- Key/value state that must survive restarts (last_seq, ...).
CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
);

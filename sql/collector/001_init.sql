-- Collector database, version 1.
-- Raw results (kept retention.raw), per-minute/hour/day rollups per check x
-- agent (kept longer), and what the collector knows about each agent.

CREATE TABLE agents (
	id		TEXT PRIMARY KEY,
	region		TEXT,
	provider	TEXT,
	version		TEXT,
	first_seen	INTEGER,	-- Unix ms of the first accepted batch
	last_seen	INTEGER,	-- Unix ms of the last accepted batch
	last_seq	INTEGER,	-- highest seq stored
	outbox_depth	INTEGER,	-- as the agent reported in its last batch
	oldest_unshipped INTEGER	-- Unix ms, as reported; 0 none
);

-- One row per result; (agent, seq) makes ingest idempotent.
CREATE TABLE results (
	agent		TEXT NOT NULL,
	seq		INTEGER NOT NULL,
	ts		INTEGER NOT NULL,	-- start, Unix ms
	check_name	TEXT NOT NULL,
	kind		TEXT,
	service		TEXT,
	layer		TEXT,
	provider	TEXT,
	region		TEXT,
	ok		INTEGER NOT NULL,
	error_class	TEXT,
	total_us	INTEGER NOT NULL,
	body		TEXT NOT NULL,		-- the JSON record as received
	PRIMARY KEY (agent, seq)
) WITHOUT ROWID;
CREATE INDEX results_ts ON results (ts);
CREATE INDEX results_check_ts ON results (check_name, ts);

-- Rollups: bucket is the start of the minute / hour / day in Unix ms.
-- sketch: log-bucket latency sketch (report/sketch.c) of total_us of the
-- results that passed. Error counts per class; phase sums over all runs.
CREATE TABLE rollup_1m (
	bucket		INTEGER NOT NULL,
	check_name	TEXT NOT NULL,
	agent		TEXT NOT NULL,
	service		TEXT, layer TEXT, provider TEXT, region TEXT,
	total		INTEGER NOT NULL,
	good		INTEGER NOT NULL,
	e_dns		INTEGER NOT NULL DEFAULT 0,
	e_connect	INTEGER NOT NULL DEFAULT 0,
	e_tls		INTEGER NOT NULL DEFAULT 0,
	e_timeout	INTEGER NOT NULL DEFAULT 0,
	e_http_status	INTEGER NOT NULL DEFAULT 0,
	e_assertion	INTEGER NOT NULL DEFAULT 0,
	e_body		INTEGER NOT NULL DEFAULT 0,
	e_internal	INTEGER NOT NULL DEFAULT 0,
	dns_us		INTEGER NOT NULL DEFAULT 0,
	connect_us	INTEGER NOT NULL DEFAULT 0,
	tls_us		INTEGER NOT NULL DEFAULT 0,
	processing_us	INTEGER NOT NULL DEFAULT 0,
	transfer_us	INTEGER NOT NULL DEFAULT 0,
	total_us	INTEGER NOT NULL DEFAULT 0,
	sketch		BLOB,
	PRIMARY KEY (check_name, agent, bucket)
) WITHOUT ROWID;
CREATE INDEX rollup_1m_bucket ON rollup_1m (bucket);

CREATE TABLE rollup_1h AS SELECT * FROM rollup_1m WHERE 0;
CREATE UNIQUE INDEX rollup_1h_key ON rollup_1h (check_name, agent, bucket);
CREATE INDEX rollup_1h_bucket ON rollup_1h (bucket);

CREATE TABLE rollup_1d AS SELECT * FROM rollup_1m WHERE 0;
CREATE UNIQUE INDEX rollup_1d_key ON rollup_1d (check_name, agent, bucket);
CREATE INDEX rollup_1d_bucket ON rollup_1d (bucket);

CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
);

-- The newest result of each check x agent (for /api/v1/status).
CREATE TABLE latest (
	check_name	TEXT NOT NULL,
	agent		TEXT NOT NULL,
	ts		INTEGER NOT NULL,
	seq		INTEGER NOT NULL,
	ok		INTEGER NOT NULL,
	body		TEXT NOT NULL,
	PRIMARY KEY (check_name, agent)
) WITHOUT ROWID;

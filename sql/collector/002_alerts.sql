-- Collector database, version 2: alerting.

-- Streaks for check_down rules, kept with the newest result of each
-- check x agent (updated in the ingest transaction, never by scanning).
ALTER TABLE latest ADD COLUMN service TEXT;
ALTER TABLE latest ADD COLUMN layer TEXT;
ALTER TABLE latest ADD COLUMN provider TEXT;
ALTER TABLE latest ADD COLUMN region TEXT;
ALTER TABLE latest ADD COLUMN fail_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE latest ADD COLUMN ok_streak INTEGER NOT NULL DEFAULT 0;

-- One row per incident: opens once, may change severity, resolves once.
CREATE TABLE incidents (
	id		INTEGER PRIMARY KEY,
	rule		TEXT NOT NULL,
	rule_type	TEXT NOT NULL,
	target		TEXT NOT NULL,		-- check, agent, or '' for SLO/latency rules
	severity	TEXT NOT NULL,		-- page, ticket, info
	status		TEXT NOT NULL,		-- open, resolved
	title		TEXT NOT NULL,
	summary		TEXT NOT NULL,
	context		TEXT,			-- layer-aware sentence
	service		TEXT,
	layer		TEXT,
	check_name	TEXT,
	slo		TEXT,
	agent		TEXT,
	regions		TEXT,			-- JSON array of regions involved
	started_at	INTEGER NOT NULL,	-- Unix ms
	updated_at	INTEGER NOT NULL,
	resolved_at	INTEGER,
	last_notified_at INTEGER,
	transitions	INTEGER NOT NULL DEFAULT 1	-- notifications made so far
);
CREATE UNIQUE INDEX incidents_open ON incidents (rule, target) WHERE status = 'open';
CREATE INDEX incidents_started ON incidents (started_at);

-- One row per notification per receiver. (incident, receiver, seq) is the
-- dedup key: a transition is delivered at most once to each receiver.
CREATE TABLE deliveries (
	id		INTEGER PRIMARY KEY,
	incident_id	INTEGER NOT NULL REFERENCES incidents (id),
	receiver	TEXT NOT NULL,
	event		TEXT NOT NULL,		-- trigger, update, resolve, reminder
	seq		INTEGER NOT NULL,	-- the incident's nth notification
	status		TEXT NOT NULL,		-- pending, sending, sent, failed, muted
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_attempt_at	INTEGER NOT NULL,	-- Unix ms
	last_status	INTEGER,		-- HTTP status of the last attempt
	last_error	TEXT,
	created_at	INTEGER NOT NULL,
	sent_at		INTEGER,
	payload		TEXT NOT NULL		-- the receiver-neutral notification (JSON)
);
CREATE UNIQUE INDEX deliveries_dedup ON deliveries (incident_id, receiver, seq);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);

-- Collector database, version 6: compact storage (README, "Storage").
--
-- A raw result used to cost 650-850 bytes: the whole JSON record beside
-- its own columns, every label repeated as text in each row and again in
-- a 6-column index. Now labels live once per series (check x agent x
-- region x service x layer x provider), texts (error messages, URLs,
-- addresses, a record's other fields) once in a dictionary, and a result
-- is one row of small integers keyed by (series, ts, seq): no other index.
-- The record is rebuilt field for field from these columns (core/record.c).
--
-- The old tables are renamed here and converted by the collector on its
-- first start (core/store_upgrade.c), which drops them when done.

ALTER TABLE results RENAME TO v5_results;
ALTER TABLE rollup_1m RENAME TO v5_rollup_1m;
ALTER TABLE rollup_1h RENAME TO v5_rollup_1h;
ALTER TABLE rollup_1d RENAME TO v5_rollup_1d;
ALTER TABLE latest RENAME TO v5_latest;
DROP INDEX results_ts;
DROP INDEX results_check_ts;
DROP INDEX rollup_1m_bucket;
DROP INDEX rollup_1h_key;
DROP INDEX rollup_1h_bucket;
DROP INDEX rollup_1d_key;
DROP INDEX rollup_1d_bucket;

-- Who ran what, with which labels. A change of labels starts a new series.
CREATE TABLE series (
	id		INTEGER PRIMARY KEY,
	check_name	TEXT NOT NULL,
	agent		TEXT NOT NULL,
	region		TEXT,
	service		TEXT,
	layer		TEXT,
	provider	TEXT,
	created_at	INTEGER NOT NULL	-- Unix ms
);

-- Every text a result carries, once. used: the last UTC day (Unix ms / 1 d)
-- a stored result referred to it; texts unused for longer than raw results
-- are kept are deleted with them.
CREATE TABLE texts (
	id		INTEGER PRIMARY KEY,
	hash		INTEGER NOT NULL,	-- 64-bit FNV-1a of value
	used		INTEGER NOT NULL,
	value		TEXT NOT NULL
);
CREATE INDEX texts_hash ON texts (hash);

-- One row per result. fields: which record fields were present, as
-- present ^ RECORD_USUAL (core/record.h), so a usual record stores 0-3.
-- flags: 1 ok, 2 truncated, 4 inconclusive. Text columns are texts.id.
CREATE TABLE results (
	series		INTEGER NOT NULL,
	ts		INTEGER NOT NULL,
	seq		INTEGER NOT NULL,
	flags		INTEGER NOT NULL,
	error_class	INTEGER,
	fields		INTEGER NOT NULL,
	total_us	INTEGER NOT NULL,
	dns_us		INTEGER NOT NULL,
	connect_us	INTEGER NOT NULL,
	tls_us		INTEGER NOT NULL,
	processing_us	INTEGER NOT NULL,
	transfer_us	INTEGER NOT NULL,
	status		INTEGER,
	bytes		INTEGER,
	attempts	INTEGER,
	cert_not_after	INTEGER,
	age_s		INTEGER,
	kind		INTEGER,
	url		INTEGER,
	error		INTEGER,
	http_version	INTEGER,
	ip		INTEGER,
	cache		INTEGER,
	cache_raw	INTEGER,
	extra		INTEGER,
	PRIMARY KEY (series, ts, seq)
) WITHOUT ROWID;

-- The newest result (highest seq) of each series, in the same columns,
-- and the streaks check_down rules read.
CREATE TABLE latest (
	series		INTEGER PRIMARY KEY,
	ts		INTEGER NOT NULL,
	seq		INTEGER NOT NULL,
	flags		INTEGER NOT NULL,
	error_class	INTEGER,
	fields		INTEGER NOT NULL,
	total_us	INTEGER NOT NULL,
	dns_us		INTEGER NOT NULL,
	connect_us	INTEGER NOT NULL,
	tls_us		INTEGER NOT NULL,
	processing_us	INTEGER NOT NULL,
	transfer_us	INTEGER NOT NULL,
	status		INTEGER,
	bytes		INTEGER,
	attempts	INTEGER,
	cert_not_after	INTEGER,
	age_s		INTEGER,
	kind		INTEGER,
	url		INTEGER,
	error		INTEGER,
	http_version	INTEGER,
	ip		INTEGER,
	cache		INTEGER,
	cache_raw	INTEGER,
	extra		INTEGER,
	fail_streak	INTEGER NOT NULL,
	ok_streak	INTEGER NOT NULL
);

-- Rollups per series and minute / hour / day (bucket: its start, Unix ms),
-- keyed (bucket, series): what ingest writes (the current minute, hour and
-- day of every series) sits together, and a time range of every series is
-- one key range.
-- sketch: the latency sketch of the passed runs (core/sketch.c); thr: for
-- each latency threshold configured when the results arrived, how many
-- passed runs took at most that long (core/store_rollup.c, "thr").
CREATE TABLE rollup_1m (
	series		INTEGER NOT NULL,
	bucket		INTEGER NOT NULL,
	total		INTEGER NOT NULL,
	good		INTEGER NOT NULL,
	inconclusive	INTEGER NOT NULL DEFAULT 0,
	e_dns		INTEGER NOT NULL DEFAULT 0,
	e_connect	INTEGER NOT NULL DEFAULT 0,
	e_tls		INTEGER NOT NULL DEFAULT 0,
	e_timeout	INTEGER NOT NULL DEFAULT 0,
	e_http_status	INTEGER NOT NULL DEFAULT 0,
	e_assertion	INTEGER NOT NULL DEFAULT 0,
	e_body		INTEGER NOT NULL DEFAULT 0,
	e_internal	INTEGER NOT NULL DEFAULT 0,
	e_consistency	INTEGER NOT NULL DEFAULT 0,
	cache_hit	INTEGER NOT NULL DEFAULT 0,
	cache_miss	INTEGER NOT NULL DEFAULT 0,
	cache_expired	INTEGER NOT NULL DEFAULT 0,
	cache_stale	INTEGER NOT NULL DEFAULT 0,
	cache_bypass	INTEGER NOT NULL DEFAULT 0,
	cache_dynamic	INTEGER NOT NULL DEFAULT 0,
	cache_unknown	INTEGER NOT NULL DEFAULT 0,
	dns_us		INTEGER NOT NULL DEFAULT 0,
	connect_us	INTEGER NOT NULL DEFAULT 0,
	tls_us		INTEGER NOT NULL DEFAULT 0,
	processing_us	INTEGER NOT NULL DEFAULT 0,
	transfer_us	INTEGER NOT NULL DEFAULT 0,
	total_us	INTEGER NOT NULL DEFAULT 0,
	sketch		BLOB,
	thr		BLOB,
	PRIMARY KEY (bucket, series)
) WITHOUT ROWID;
CREATE TABLE rollup_1h (
	series		INTEGER NOT NULL,
	bucket		INTEGER NOT NULL,
	total		INTEGER NOT NULL,
	good		INTEGER NOT NULL,
	inconclusive	INTEGER NOT NULL DEFAULT 0,
	e_dns		INTEGER NOT NULL DEFAULT 0,
	e_connect	INTEGER NOT NULL DEFAULT 0,
	e_tls		INTEGER NOT NULL DEFAULT 0,
	e_timeout	INTEGER NOT NULL DEFAULT 0,
	e_http_status	INTEGER NOT NULL DEFAULT 0,
	e_assertion	INTEGER NOT NULL DEFAULT 0,
	e_body		INTEGER NOT NULL DEFAULT 0,
	e_internal	INTEGER NOT NULL DEFAULT 0,
	e_consistency	INTEGER NOT NULL DEFAULT 0,
	cache_hit	INTEGER NOT NULL DEFAULT 0,
	cache_miss	INTEGER NOT NULL DEFAULT 0,
	cache_expired	INTEGER NOT NULL DEFAULT 0,
	cache_stale	INTEGER NOT NULL DEFAULT 0,
	cache_bypass	INTEGER NOT NULL DEFAULT 0,
	cache_dynamic	INTEGER NOT NULL DEFAULT 0,
	cache_unknown	INTEGER NOT NULL DEFAULT 0,
	dns_us		INTEGER NOT NULL DEFAULT 0,
	connect_us	INTEGER NOT NULL DEFAULT 0,
	tls_us		INTEGER NOT NULL DEFAULT 0,
	processing_us	INTEGER NOT NULL DEFAULT 0,
	transfer_us	INTEGER NOT NULL DEFAULT 0,
	total_us	INTEGER NOT NULL DEFAULT 0,
	sketch		BLOB,
	thr		BLOB,
	PRIMARY KEY (bucket, series)
) WITHOUT ROWID;
CREATE TABLE rollup_1d (
	series		INTEGER NOT NULL,
	bucket		INTEGER NOT NULL,
	total		INTEGER NOT NULL,
	good		INTEGER NOT NULL,
	inconclusive	INTEGER NOT NULL DEFAULT 0,
	e_dns		INTEGER NOT NULL DEFAULT 0,
	e_connect	INTEGER NOT NULL DEFAULT 0,
	e_tls		INTEGER NOT NULL DEFAULT 0,
	e_timeout	INTEGER NOT NULL DEFAULT 0,
	e_http_status	INTEGER NOT NULL DEFAULT 0,
	e_assertion	INTEGER NOT NULL DEFAULT 0,
	e_body		INTEGER NOT NULL DEFAULT 0,
	e_internal	INTEGER NOT NULL DEFAULT 0,
	e_consistency	INTEGER NOT NULL DEFAULT 0,
	cache_hit	INTEGER NOT NULL DEFAULT 0,
	cache_miss	INTEGER NOT NULL DEFAULT 0,
	cache_expired	INTEGER NOT NULL DEFAULT 0,
	cache_stale	INTEGER NOT NULL DEFAULT 0,
	cache_bypass	INTEGER NOT NULL DEFAULT 0,
	cache_dynamic	INTEGER NOT NULL DEFAULT 0,
	cache_unknown	INTEGER NOT NULL DEFAULT 0,
	dns_us		INTEGER NOT NULL DEFAULT 0,
	connect_us	INTEGER NOT NULL DEFAULT 0,
	tls_us		INTEGER NOT NULL DEFAULT 0,
	processing_us	INTEGER NOT NULL DEFAULT 0,
	transfer_us	INTEGER NOT NULL DEFAULT 0,
	total_us	INTEGER NOT NULL DEFAULT 0,
	sketch		BLOB,
	thr		BLOB,
	PRIMARY KEY (bucket, series)
) WITHOUT ROWID;

-- Latency thresholds counted exactly at ingest. exact_from: the first UTC
-- day from which every rollup row counts this threshold (rows before it
-- answer from the sketch, and the API says "approximate_before").
CREATE TABLE latency_thresholds (
	threshold_us	INTEGER PRIMARY KEY,
	exact_from	INTEGER NOT NULL
);

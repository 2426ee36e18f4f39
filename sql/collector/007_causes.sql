-- Collector database, version 7: what each incident said about its cause,
-- and when (README, "Layer-aware context").
-- One row each time the cause line of an open incident changes; the first
-- is what it said when it opened. regions: the per-region lines of that
-- evaluation, a JSON array of {"region", "line"}.
CREATE TABLE incident_causes (
	incident_id	INTEGER NOT NULL REFERENCES incidents (id),
	at		INTEGER NOT NULL,	-- Unix ms of the evaluation
	cause		TEXT NOT NULL,
	regions		TEXT,
	PRIMARY KEY (incident_id, at)
) WITHOUT ROWID;
-- The per-region lines of the incident's latest evaluation while it was
-- open (same JSON as incident_causes.regions); context holds its cause line.
ALTER TABLE incidents ADD COLUMN regions_detail TEXT;

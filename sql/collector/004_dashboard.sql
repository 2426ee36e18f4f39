-- Collector database, version 4: the dashboard's strips of recent outcomes
-- (/api/v1/matrix) read the newest results of each check from this index
-- alone. With only (check_name, ts) each result cost a read of its table
-- row (and its JSON body): about 20,000 scattered page reads per request
-- for 200 checks x 5 regions. The wider index serves the same lookups.
DROP INDEX results_check_ts;
CREATE INDEX results_check_ts ON results (check_name, ts, region, ok, error_class,
	inconclusive);

-- Collector database, version 3: the tls/tcp/dns/assets probe kinds.

-- Error class "consistency" (assets: targets serve different versions).
ALTER TABLE rollup_1m ADD COLUMN e_consistency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN e_consistency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN e_consistency INTEGER NOT NULL DEFAULT 0;

-- Inconclusive results (failed while the agent's own network was down, as
-- its reference targets showed): stored raw and counted here, but never in
-- total/good, so SLOs and check-down streaks do not see them.
ALTER TABLE rollup_1m ADD COLUMN inconclusive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN inconclusive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN inconclusive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN inconclusive INTEGER NOT NULL DEFAULT 0;

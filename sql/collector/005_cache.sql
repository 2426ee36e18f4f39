-- Collector database, version 5: CDN cache awareness.
-- Per-status counts of the cache status http results report (lib/cache.h;
-- README, "Cache status"), in the enum's order. Results without a cache
-- field (other kinds, older agents) are in none of them; the raw rows keep
-- the field in their JSON body. The hit ratio is
-- (cache_hit + cache_stale) / (every status but cache_unknown).
ALTER TABLE rollup_1m ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1m ADD COLUMN cache_miss INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1m ADD COLUMN cache_expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1m ADD COLUMN cache_stale INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1m ADD COLUMN cache_bypass INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1m ADD COLUMN cache_dynamic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1m ADD COLUMN cache_unknown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN cache_miss INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN cache_expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN cache_stale INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN cache_bypass INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN cache_dynamic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1h ADD COLUMN cache_unknown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN cache_miss INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN cache_expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN cache_stale INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN cache_bypass INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN cache_dynamic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_1d ADD COLUMN cache_unknown INTEGER NOT NULL DEFAULT 0;


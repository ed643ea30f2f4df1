-- TimescaleDB features for the market data, applied only where the extension can be loaded.
--
-- On plain PostgreSQL this migration changes nothing (it raises a NOTICE), and every query the code
-- runs (bars_1m, ticks) gives the same answers on both: hypertables are queried like tables, and the
-- K-line API always reads bars_1m. Where TimescaleDB is installed and preloaded
-- (shared_preload_libraries = 'timescaledb', as on Timescale Cloud or the timescale/timescaledb image):
--   * bars_1m and ticks become hypertables (chunks of 30 and 1 days);
--   * chunks are compressed by symbol, ordered by ts: bars older than 30 days, ticks older than 7 days;
--   * retention: ticks older than 180 days are dropped (bars are the history, kept for ever);
--   * continuous aggregates bars_5m (clock buckets = session-aligned buckets for every product, since
--     all sessions start on a multiple of 5 minutes) and bars_1d (one row per trading day, stamped with its
--     first minute like resample's daily bars; the 7-day bucket runs Friday 18:00 to Friday 18:00, so a
--     trading day with its Friday night session never straddles two buckets), refreshed every 5 minutes /
--     hour. They serve analysis and exports; the API resamples bars_1m itself (same code on both).
DO $migration$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        RAISE NOTICE 'timescaledb is not available: bars_1m and ticks stay plain tables';
        RETURN;
    END IF;
    IF current_setting('shared_preload_libraries', true) IS NULL
       OR current_setting('shared_preload_libraries', true) NOT LIKE '%timescaledb%' THEN
        RAISE NOTICE 'timescaledb is installed but not in shared_preload_libraries: plain tables kept';
        RETURN;
    END IF;

    CREATE EXTENSION IF NOT EXISTS timescaledb;

    PERFORM create_hypertable('bars_1m', 'ts', chunk_time_interval => INTERVAL '30 days',
                              migrate_data => true, if_not_exists => true);
    PERFORM create_hypertable('ticks', 'ts', chunk_time_interval => INTERVAL '1 day',
                              migrate_data => true, if_not_exists => true);

    ALTER TABLE bars_1m SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',
                             timescaledb.compress_orderby = 'ts');
    ALTER TABLE ticks SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',
                           timescaledb.compress_orderby = 'ts, seq');
    PERFORM add_compression_policy('bars_1m', INTERVAL '30 days', if_not_exists => true);
    PERFORM add_compression_policy('ticks', INTERVAL '7 days', if_not_exists => true);
    PERFORM add_retention_policy('ticks', INTERVAL '180 days', if_not_exists => true);

    -- WITH NO DATA: a continuous aggregate cannot be filled inside a transaction; the policies fill it
    EXECUTE $sql$
        CREATE MATERIALIZED VIEW IF NOT EXISTS bars_5m WITH (timescaledb.continuous) AS
        SELECT symbol, time_bucket(INTERVAL '5 minutes', ts) AS bucket, min(trading_day) AS trading_day,
               first(open, ts) AS open, max(high) AS high, min(low) AS low, last(close, ts) AS close,
               sum(volume) AS volume, sum(turnover) AS turnover, last(open_interest, ts) AS open_interest
        FROM bars_1m
        GROUP BY symbol, time_bucket(INTERVAL '5 minutes', ts)
        WITH NO DATA
    $sql$;
    EXECUTE $sql$
        CREATE MATERIALIZED VIEW IF NOT EXISTS bars_1d WITH (timescaledb.continuous) AS
        SELECT symbol, trading_day,
               time_bucket(INTERVAL '7 days', ts, TIMESTAMPTZ '2000-01-07 18:00:00+08') AS week_bucket,
               min(ts) AS ts, first(open, ts) AS open, max(high) AS high, min(low) AS low,
               last(close, ts) AS close, sum(volume) AS volume, sum(turnover) AS turnover,
               last(open_interest, ts) AS open_interest
        FROM bars_1m
        GROUP BY symbol, trading_day, time_bucket(INTERVAL '7 days', ts, TIMESTAMPTZ '2000-01-07 18:00:00+08')
        WITH NO DATA
    $sql$;
    PERFORM add_continuous_aggregate_policy('bars_5m', start_offset => INTERVAL '3 days',
                                            end_offset => INTERVAL '5 minutes',
                                            schedule_interval => INTERVAL '5 minutes', if_not_exists => true);
    PERFORM add_continuous_aggregate_policy('bars_1d', start_offset => INTERVAL '21 days',
                                            end_offset => INTERVAL '1 hour',
                                            schedule_interval => INTERVAL '1 hour', if_not_exists => true);
END
$migration$;

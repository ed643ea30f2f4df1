-- ticks no longer reference instruments with a foreign key.
--
-- ticks is the hot table: the daemon writes tens of thousands of rows a second. The key's
-- per-row check (a lookup in instruments and a share lock on its row) was 4.6 of 14.6 us of
-- server time per row (INSERT ... SELECT FROM json_populate_recordset ... ON CONFLICT DO NOTHING,
-- 5,000-row batches). Both writers create the instrument before its first tick
-- (gateway_daemon.sinks.PgSink and shared.adapters.csv_import, through ensure_instrument).
-- bars_1m keeps its key: a few rows a minute.
ALTER TABLE ticks DROP CONSTRAINT IF EXISTS ticks_symbol_fkey;

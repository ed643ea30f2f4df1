-- A running backtest can be cancelled (POST /backtests/{id}/cancel stops its execution).
ALTER TABLE backtests DROP CONSTRAINT backtests_status_check;
ALTER TABLE backtests ADD CONSTRAINT backtests_status_check
    CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'));

-- Shards already counted in ``done``: a retried worker reports progress once, not twice.
ALTER TABLE backtests ADD COLUMN done_shards integer[] NOT NULL DEFAULT '{}';

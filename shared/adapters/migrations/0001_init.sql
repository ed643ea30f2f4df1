-- quantcloud schema, version 1. Plain PostgreSQL; 0002 adds TimescaleDB features when the extension exists.

CREATE TABLE instruments (
    symbol        text PRIMARY KEY,           -- contract code as the exchange writes it: cu2203, MA205, cu_main
    exchange      text NOT NULL CHECK (exchange IN ('SHFE', 'INE', 'DCE', 'CZCE', 'CFFEX', 'GFEX')),
    product       text NOT NULL,              -- cu, MA, IF
    multiplier    double precision NOT NULL DEFAULT 1,
    price_tick    double precision NOT NULL DEFAULT 1
);

-- 1-minute bars; ts is the bar START in exchange time; a night bar belongs to the next trading day
CREATE TABLE bars_1m (
    symbol        text NOT NULL REFERENCES instruments (symbol),
    ts            timestamptz NOT NULL,
    trading_day   date NOT NULL,
    open          double precision NOT NULL,
    high          double precision NOT NULL,
    low           double precision NOT NULL,
    close         double precision NOT NULL,
    volume        bigint NOT NULL,
    turnover      double precision,
    open_interest double precision,
    PRIMARY KEY (symbol, ts)
);
CREATE INDEX bars_1m_symbol_day ON bars_1m (symbol, trading_day);

-- cleaned ticks; seq orders ticks that share a timestamp (CZCE sends whole seconds)
CREATE TABLE ticks (
    symbol        text NOT NULL REFERENCES instruments (symbol),
    ts            timestamptz NOT NULL,
    seq           integer NOT NULL DEFAULT 0,
    trading_day   date NOT NULL,
    last_price    double precision,
    volume        bigint NOT NULL,            -- this tick's own volume (delta of CTP's cumulative)
    cum_volume    bigint NOT NULL,
    turnover      double precision,
    open_interest double precision,
    bid_price1    double precision,
    bid_volume1   bigint,
    ask_price1    double precision,
    ask_volume1   bigint,
    PRIMARY KEY (symbol, ts, seq)
);

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- written inside the request, before the response (a frozen Lambda runs no background task)
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    user_id       uuid,
    action        text NOT NULL,
    detail        jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE backtests (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id),
    spec          jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED')),
    execution_arn text,
    total         integer NOT NULL DEFAULT 0, -- parameter combinations
    done          integer NOT NULL DEFAULT 0,
    result        jsonb,                      -- per-parameter metrics and the best parameters
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backtests_user ON backtests (user_id, created_at DESC);

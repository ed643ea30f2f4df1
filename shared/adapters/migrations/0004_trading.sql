-- quantcloud schema: what the CTP trading session learns (instrument details, orders, trades, positions, account).

-- from ReqQryInstrument: the contract's life and today's price limits (limits come from the depth market data)
ALTER TABLE instruments
    ADD COLUMN name             text,
    ADD COLUMN expire_date      date,
    ADD COLUMN open_date        date,
    ADD COLUMN upper_limit      double precision,
    ADD COLUMN lower_limit      double precision,
    ADD COLUMN max_market_volume integer,
    ADD COLUMN max_limit_volume  integer,
    ADD COLUMN updated_at       timestamptz;

-- one row per CTP order; identity is (front_id, session_id, order_ref) (ours and orders placed elsewhere),
-- and the exchange's (exchange, order_sys_id) once it is known.
-- The row is written BEFORE ReqOrderInsert (status 'submitting'): a restart finds it and never sends twice.
CREATE TABLE orders (
    id              bigserial PRIMARY KEY,
    idempotency_key text UNIQUE,               -- the client's key; NULL for orders placed outside quantcloud
    user_id         text,
    stream_id       text,                      -- the Redis Stream entry it came from
    account         text NOT NULL,             -- broker_id:investor_id
    symbol          text NOT NULL,
    exchange        text NOT NULL,
    direction       text NOT NULL CHECK (direction IN ('buy', 'sell')),
    "offset"        text NOT NULL CHECK ("offset" IN ('open', 'close', 'close_today', 'close_yesterday')),
    price_type      text NOT NULL CHECK (price_type IN ('limit', 'market', 'fak', 'fok')),
    limit_price     double precision,
    volume          integer NOT NULL CHECK (volume > 0),
    front_id        integer,
    session_id      bigint,
    order_ref       text,
    order_sys_id    text,                      -- kept as the exchange writes it (SHFE pads with spaces)
    status          text NOT NULL CHECK (status IN ('submitting', 'queued', 'partially_filled', 'filled',
                                                    'cancelled', 'rejected')),
    volume_traded   integer NOT NULL DEFAULT 0,
    reason          text,                      -- the broker's or exchange's message, decoded from GB18030
    trading_day     date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (front_id, session_id, order_ref)
);
CREATE INDEX orders_sys_id ON orders (exchange, order_sys_id);
CREATE INDEX orders_user ON orders (user_id, created_at DESC);

-- CTP identifies a fill by exchange + TradeID + direction (both sides of a self-trade share the TradeID)
CREATE TABLE trades (
    exchange        text NOT NULL,
    trade_id        text NOT NULL,
    direction       text NOT NULL CHECK (direction IN ('buy', 'sell')),
    account         text NOT NULL,
    symbol          text NOT NULL,
    "offset"        text NOT NULL,
    price           double precision NOT NULL,
    volume          integer NOT NULL,
    order_sys_id    text,
    order_ref       text,
    traded_at       timestamptz NOT NULL,
    trading_day     date NOT NULL,
    PRIMARY KEY (exchange, trade_id, direction)
);
CREATE INDEX trades_order ON trades (exchange, order_sys_id);

-- ReqQryInvestorPosition, today / yesterday split, long and short apart
CREATE TABLE positions (
    account         text NOT NULL,
    symbol          text NOT NULL,
    direction       text NOT NULL CHECK (direction IN ('long', 'short')),
    today           integer NOT NULL DEFAULT 0,
    yesterday       integer NOT NULL DEFAULT 0,
    avg_price       double precision,
    realised_pnl    double precision NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, symbol, direction)
);

-- ReqQryTradingAccount, latest answer per account
CREATE TABLE accounts (
    account         text PRIMARY KEY,
    balance         double precision,
    available       double precision,
    margin          double precision,
    frozen_margin   double precision,
    commission      double precision,
    close_profit    double precision,
    position_profit double precision,
    trading_day     date,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

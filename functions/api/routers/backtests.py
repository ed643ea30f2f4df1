"""Parameter-sweep backtests: submit one, poll it, cancel it, read its results in detail.

``POST`` writes the row, starts the Step Functions execution and marks the
row RUNNING before it answers 202, so a client polling right away finds it.
``GET /backtests/{id}`` pages through the ranking; ``/trades``, ``/equity`` and
``/chart`` show one ranked result (``rank=1`` is the best), rerun from the staged bars.
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Annotated, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from functions.api.deps import CurrentClaims, DbDep, S3Dep, SettingsDep, SfnDep
from functions.api.errors import error_responses
from shared.adapters.pg_bar_ranges import has_bars
from shared.adapters.pg_backtests import create_backtest, get_backtest, set_cancelled, set_failed, set_running
from shared.adapters.pg_bars import PgBarStore
from shared.adapters.s3_bars import load_bars
from shared.adapters.s3_results import sweep_progress
from shared.backtest.chart import equity_chart_html
from shared.backtest.report import detail
from shared.backtest.spec import BacktestSpec
from shared.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable, UnknownInstrument

log = logging.getLogger(__name__)
router = APIRouter(prefix="/backtests", tags=["backtests"])

Status = Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]
# execution states after which the row can no longer be RUNNING
DEAD_EXECUTION = {"FAILED", "ABORTED", "TIMED_OUT"}


class Submitted(BaseModel):
    id: str = Field(description="the backtest's id: poll GET /backtests/{id}")
    status: Status


class Ranking(BaseModel):
    offset: int
    limit: int
    count: int = Field(description="ranked results in all")


class BacktestState(BaseModel):
    id: str
    status: Status
    total: int = Field(description="parameter combinations in the sweep")
    done: int = Field(description="combinations finished so far")
    spec: dict[str, Any]
    results: list[dict[str, Any]] | None = Field(
        None, description="one page of the ranking, best Sharpe first: params and the statistics (total_return, "
                          "annual_return, max_drawdown, max_drawdown_duration, sharpe, return_drawdown, win_rate, "
                          "profit_factor, trade_count, ...); each with its 1-based rank")
    ranking: Ranking | None = None
    best: dict[str, Any] | None = Field(None, description="the combination with the highest Sharpe ratio")
    failed_shards: list[dict[str, Any]] | None = Field(
        None, description="shards that failed every retry (tolerated): their parameters have no result")
    error: str | None = None


class Cancelled(BaseModel):
    id: str
    status: Status


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=Submitted,
             summary="Start a backtest sweep",
             description="Validates the spec (400 naming the field), checks that the symbol has 1-minute bars "
                         "in the date range (404 unknown symbol, 400 no bars), starts the sweep and answers 202.",
             responses=error_responses(400, 401, 404, 503))
def submit(spec: BacktestSpec, claims: CurrentClaims, conn: DbDep, sfn: SfnDep, settings: SettingsDep) -> Submitted:
    if not settings.backtest_state_machine_arn:
        raise ServiceUnavailable("backtests are not configured (no state machine ARN)")
    if not PgBarStore(conn).has_instrument(spec.symbol):
        raise UnknownInstrument(spec.symbol)
    if not has_bars(conn, spec.symbol, spec.start, spec.end):
        raise InvalidInput(f"no 1-minute bars for {spec.symbol} between {spec.start} and {spec.end}",
                           [{"field": "body.start", "message": "no bars in this range"}])

    backtest_id = str(uuid.uuid4())
    spec_json = spec.model_dump(mode="json")
    create_backtest(conn, backtest_id, claims.user_id, spec_json, len(spec.combinations()))
    try:
        execution = sfn.start_execution(
            stateMachineArn=settings.backtest_state_machine_arn, name=backtest_id,
            input=json.dumps({"backtest_id": backtest_id, "spec": spec_json}))
    except (ClientError, BotoCoreError) as exc:
        log.exception("could not start backtest %s", backtest_id)
        set_failed(conn, backtest_id, f"could not start the execution: {exc}")
        raise ServiceUnavailable("could not start the backtest; try again") from exc
    set_running(conn, backtest_id, execution["executionArn"])
    return Submitted(id=backtest_id, status="RUNNING")


@router.get("/{backtest_id}", response_model=BacktestState, summary="A backtest's progress and results",
            description="Status, progress (`done` of `total` combinations; while RUNNING, counted from the "
                        "results the workers have written) and, once SUCCEEDED, the ranked results. "
                        "404 unless the backtest is the caller's.",
            responses=error_responses(400, 401, 404, 503))
def get(backtest_id: uuid.UUID, claims: CurrentClaims, conn: DbDep, sfn: SfnDep, s3: S3Dep, settings: SettingsDep,
        offset: Annotated[int, Query(ge=0, description="first rank to return, 0-based")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000, description="results per page")] = 100) -> BacktestState:
    row = _own(conn, backtest_id, claims.user_id)
    if row["status"] == "RUNNING" and row.get("execution_arn"):
        row = _reconcile(conn, sfn, row)
    if row["status"] == "RUNNING":
        row = _progress(s3, settings.backtest_bucket, row)
    result = row.get("result") or {}
    ranked = result.get("results")
    page = None if ranked is None else [
        {"rank": offset + i + 1, **r} for i, r in enumerate(ranked[offset:offset + limit])]
    return BacktestState(id=str(row["id"]), status=row["status"], total=row["total"], done=row["done"],
                         spec=row["spec"], results=page, best=result.get("best"),
                         ranking=None if ranked is None else Ranking(offset=offset, limit=limit, count=len(ranked)),
                         failed_shards=result.get("failed_shards"), error=row.get("error"))


@router.post("/{backtest_id}/cancel", response_model=Cancelled, summary="Cancel a running backtest",
             description="Stops the Step Functions execution and marks the backtest CANCELLED. "
                         "409 if it already finished; 404 unless it is the caller's.",
             responses=error_responses(400, 401, 404, 409, 503))
def cancel(backtest_id: uuid.UUID, claims: CurrentClaims, conn: DbDep, sfn: SfnDep, s3: S3Dep,
           settings: SettingsDep) -> Cancelled:
    row = _own(conn, backtest_id, claims.user_id)
    if row["status"] not in ("PENDING", "RUNNING"):
        raise Conflict(f"backtest {backtest_id} already {row['status']}", {"status": row["status"]})
    if row.get("execution_arn"):
        try:
            sfn.stop_execution(executionArn=row["execution_arn"], error="Cancelled", cause="cancelled by its owner")
        except ClientError as exc:
            # an execution that already ended cannot be stopped; anything else is an outage
            if exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
                raise ServiceUnavailable("could not stop the execution; try again") from exc
        except BotoCoreError as exc:
            raise ServiceUnavailable("could not stop the execution; try again") from exc
    reached = _progress(s3, settings.backtest_bucket, row)["done"]  # what GET showed while it ran
    if not set_cancelled(conn, str(backtest_id), reached):
        status_now = _own(conn, backtest_id, claims.user_id)["status"]
        raise Conflict(f"backtest {backtest_id} already {status_now}", {"status": status_now})
    return Cancelled(id=str(backtest_id), status="CANCELLED")


RankQuery = Annotated[int, Query(ge=1, description="1-based rank in the result (1: best Sharpe)")]


@router.get("/{backtest_id}/trades", summary="The trades of one ranked result",
            description="Every fill (ts, trading_day, direction, offset, price, volume, commission, slippage) "
                        "of the result at `rank`, rerun from the staged bars.",
            responses=error_responses(400, 401, 404, 409, 503))
def trades(backtest_id: uuid.UUID, claims: CurrentClaims, conn: DbDep, s3: S3Dep, settings: SettingsDep,
           rank: RankQuery = 1) -> dict[str, Any]:
    report = _detail(conn, s3, settings.backtest_bucket, backtest_id, claims.user_id, rank)
    return {"rank": rank, "params": report["params"], "trades": report["trades"]}


@router.get("/{backtest_id}/equity", summary="Daily equity of one ranked result",
            description="Per trading day: net PnL, balance, drawdown from the running peak, commission, trades; "
                        "and the result's statistics.",
            responses=error_responses(400, 401, 404, 409, 503))
def equity(backtest_id: uuid.UUID, claims: CurrentClaims, conn: DbDep, s3: S3Dep, settings: SettingsDep,
           rank: RankQuery = 1) -> dict[str, Any]:
    report = _detail(conn, s3, settings.backtest_bucket, backtest_id, claims.user_id, rank)
    return {"rank": rank, "params": report["params"], "statistics": report["statistics"], "daily": report["daily"]}


@router.get("/{backtest_id}/chart", response_class=HTMLResponse, summary="Equity-curve chart (HTML)",
            description="A self-contained HTML page (inline SVG, no scripts) with the daily equity of the result "
                        "at `rank`.",
            responses=error_responses(400, 401, 404, 409, 503))
def chart(backtest_id: uuid.UUID, claims: CurrentClaims, conn: DbDep, s3: S3Dep, settings: SettingsDep,
          rank: RankQuery = 1) -> HTMLResponse:
    report = _detail(conn, s3, settings.backtest_bucket, backtest_id, claims.user_id, rank)
    stats = report["statistics"]
    params = ", ".join(f"{k}={v}" for k, v in report["params"].items())
    summary = {"parameters": params, "total return": f"{stats['total_return']:.2%}",
               "max drawdown": f"{stats['max_drawdown']:.2%}", "Sharpe": f"{stats['sharpe']:.2f}",
               "trades": str(stats["trade_count"])}
    page = equity_chart_html(f"Backtest {backtest_id}: rank {rank}", [d["trading_day"] for d in report["daily"]],
                             [d["balance"] for d in report["daily"]], summary)
    return HTMLResponse(page)


def _own(conn: Any, backtest_id: uuid.UUID, user_id: str) -> dict[str, Any]:
    row = get_backtest(conn, str(backtest_id), user_id)
    if row is None:
        raise NotFound(f"no backtest {backtest_id} of yours", {"id": str(backtest_id)})
    return row


def _detail(conn: Any, s3: Any, bucket: str, backtest_id: uuid.UUID, user_id: str, rank: int) -> dict[str, Any]:
    row = _own(conn, backtest_id, user_id)
    result = row.get("result") or {}
    if row["status"] != "SUCCEEDED" or "bars_key" not in result:
        raise Conflict(f"backtest {backtest_id} has no results ({row['status']})", {"status": row["status"]})
    ranked = result["results"]
    if rank > len(ranked):
        raise NotFound(f"rank {rank} is past the last result ({len(ranked)})", {"rank": rank})
    try:
        bars = load_bars(s3, bucket, result["bars_key"])
    except (ClientError, BotoCoreError) as exc:
        raise ServiceUnavailable("could not read the backtest's bars; try again") from exc
    return detail(bars, BacktestSpec.parse(result["spec"]), ranked[rank - 1]["params"])


def _progress(s3: Any, bucket: str, row: dict[str, Any]) -> dict[str, Any]:
    """A running sweep's ``done``, counted from the result files its workers wrote to S3 (workers
    never write the database); the row's count when S3 cannot be read."""
    try:
        progress = sweep_progress(s3, bucket, str(row["id"]))
    except (ClientError, BotoCoreError):
        log.warning("could not read the progress of %s", row["id"], exc_info=True)
        return row
    return row if progress is None else {**row, "done": progress[0]}


def _reconcile(conn: Any, sfn: Any, row: dict[str, Any]) -> dict[str, Any]:
    """A row still RUNNING whose execution died (no MarkFailed ran) is FAILED."""
    try:
        execution = sfn.describe_execution(executionArn=row["execution_arn"])
    except (ClientError, BotoCoreError):
        log.warning("could not describe execution %s", row["execution_arn"], exc_info=True)
        return row
    if execution["status"] not in DEAD_EXECUTION:
        return row
    error = f"execution {execution['status']}: {execution.get('error') or execution.get('cause') or 'no cause given'}"
    set_failed(conn, str(row["id"]), error)
    return {**row, "status": "FAILED", "error": error}

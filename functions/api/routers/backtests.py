"""Parameter-sweep backtests: submit one, then poll it.

``POST`` writes the row, starts the Step Functions execution and marks the
row RUNNING before it answers 202, so a client polling right away finds it.
"""
from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError
from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from functions.api.deps import CurrentClaims, DbDep, SettingsDep, SfnDep
from functions.api.errors import error_responses
from shared.adapters.pg_bar_ranges import has_bars
from shared.adapters.pg_backtests import create_backtest, get_backtest, set_failed, set_running
from shared.adapters.pg_bars import PgBarStore
from shared.backtest.spec import BacktestSpec
from shared.errors import InvalidInput, NotFound, ServiceUnavailable, UnknownInstrument

log = logging.getLogger(__name__)
router = APIRouter(prefix="/backtests", tags=["backtests"])

Status = Literal["PENDING", "RUNNING", "SUCCEEDED", "FAILED"]
# execution states after which the row can no longer be RUNNING
DEAD_EXECUTION = {"FAILED", "ABORTED", "TIMED_OUT"}


class Submitted(BaseModel):
    id: str = Field(description="the backtest's id: poll GET /backtests/{id}")
    status: Status


class BacktestState(BaseModel):
    id: str
    status: Status
    total: int = Field(description="parameter combinations in the sweep")
    done: int = Field(description="combinations finished so far")
    spec: dict[str, Any]
    results: list[dict[str, Any]] | None = Field(
        None, description="per combination: params, total_return, sharpe, max_drawdown, trade_count; best first")
    best: dict[str, Any] | None = Field(None, description="the combination with the highest Sharpe ratio")
    error: str | None = None


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
            description="Status, progress (`done` of `total`) and, once SUCCEEDED, the ranked results. "
                        "404 unless the backtest is the caller's.",
            responses=error_responses(400, 401, 404, 503))
def get(backtest_id: uuid.UUID, claims: CurrentClaims, conn: DbDep, sfn: SfnDep) -> BacktestState:
    row = get_backtest(conn, str(backtest_id), claims.user_id)
    if row is None:
        raise NotFound(f"no backtest {backtest_id} of yours", {"id": str(backtest_id)})
    if row["status"] == "RUNNING" and row.get("execution_arn"):
        row = _reconcile(conn, sfn, row)
    result = row.get("result") or {}
    return BacktestState(id=str(row["id"]), status=row["status"], total=row["total"], done=row["done"],
                         spec=row["spec"], results=result.get("results"), best=result.get("best"),
                         error=row.get("error"))


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

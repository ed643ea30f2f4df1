"""K-line ranges: ISO dates are trading days, datetimes are instants (Asia/Shanghai when naive)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from functions.api.app import stage_prefix
from functions.api.time_range import parse_range
from shared.errors import InvalidInput

SH = ZoneInfo("Asia/Shanghai")


def test_dates_fetch_from_three_days_before_for_friday_night() -> None:
    # trading day Monday 2021-01-11 starts with Friday 2021-01-08 21:00
    lo, hi = parse_range("2021-01-11", "2021-01-11").fetch_window()
    assert lo == datetime(2021, 1, 8, tzinfo=SH)
    assert hi == datetime(2021, 1, 11, 23, 59, 59, 999999, tzinfo=SH)


@pytest.mark.parametrize("text", ["2021-01-11", "20210111", "2021-W02-1"])
def test_every_iso_date_form_is_a_trading_day(text: str) -> None:
    # 20210111 was read as the instant 00:00, one bar instead of the day's
    assert parse_range(text, text).fetch_window() == parse_range("2021-01-11", "2021-01-11").fetch_window()


def test_naive_datetime_is_shanghai_and_offsets_are_kept() -> None:
    lo, hi = parse_range("2021-01-05T09:30:00", "2021-01-05T01:30:00Z").fetch_window()
    assert lo == datetime(2021, 1, 5, 9, 30, tzinfo=SH)
    assert hi == datetime(2021, 1, 5, 9, 30, tzinfo=SH)  # 01:30 UTC is 09:30 in Shanghai


def test_open_ends() -> None:
    assert parse_range(None, None).fetch_window() == (None, None)
    assert parse_range("", " ").fetch_window() == (None, None)


def test_mask_selects_by_trading_day_for_dates_and_by_time_for_instants() -> None:
    frame = pd.DataFrame({
        "ts": pd.to_datetime(["2021-01-08 21:00", "2021-01-11 09:00", "2021-01-11 21:00"]).tz_localize(SH),
        "trading_day": [date(2021, 1, 11), date(2021, 1, 11), date(2021, 1, 12)],
    })
    assert parse_range("2021-01-11", "2021-01-11").mask(frame).tolist() == [True, True, False]
    assert parse_range("2021-01-11T00:00:00", None).mask(frame).tolist() == [False, True, True]


@pytest.mark.parametrize(("start", "end"), [
    ("2021-01-05", "2021-01-04"),
    ("2021-01-05T10:00:00", "2021-01-05T09:59:59"),
    ("2021-01-05", "2021-01-04T23:00:00"),
])
def test_end_before_start_refused(start: str, end: str) -> None:
    with pytest.raises(InvalidInput, match="before start"):
        parse_range(start, end)


@pytest.mark.parametrize(("start", "end"), [
    ("2021-01-05", "2021-01-05"),
    ("2021-01-05T10:00:00", "2021-01-05"),  # the end day covers its whole date
    ("2021-01-05T10:00:00", "2021-01-05T10:00:00"),
])
def test_same_day_or_instant_allowed(start: str, end: str) -> None:
    bar_range = parse_range(start, end)
    assert bar_range.start is not None and bar_range.end is not None


@pytest.mark.parametrize("text", ["yesterday", "2021-13-01", "2021-01-05 25:00", "0001-01-01", "9999-12-31"])
def test_bad_text_names_the_field(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_range(None, text)
    assert info.value.details[0]["field"] == "query.end"


@pytest.mark.parametrize(("stage", "prefix"), [("dev", "/dev"), ("/dev", "/dev"), ("/dev/", "/dev"), ("", ""),
                                               ("/", "")])
def test_stage_prefix(stage: str, prefix: str) -> None:
    assert stage_prefix(stage) == prefix


def test_a_plus_sent_raw_gets_a_hint() -> None:
    with pytest.raises(InvalidInput, match="send the offset's '\\+' as %2B"):
        parse_range("2022-02-15T21:00:00 08:00", None)  # what "+08:00" becomes unencoded in a query string

"""Shared helpers for the femstat.stats tests: loading the R golden fixtures."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

Row = dict[str, str]


def _read(name: str) -> list[Row]:
    path = FIXTURES / name
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows, f"golden fixture {name} is empty: rerun tests/stats/fixtures/make_golden.R"
    return rows


@pytest.fixture(scope="session")
def golden() -> Callable[[str], list[Row]]:
    """Return a reader of the CSV fixtures written by ``fixtures/make_golden.R``."""
    return _read

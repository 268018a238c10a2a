"""One-way tables with a published total: the complements of margin_complements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat.disclosure import DisclosureError, margin_complements


def _as_table(values: np.ndarray, hidden: np.ndarray) -> pd.DataFrame:
    """The one-way table as femstat count tables: cells by year plus the all-years total."""
    cells = pd.DataFrame(
        {
            "year": np.arange(len(values)),
            "femicide_type": "undetermined",
            "count": pd.array(np.where(hidden, np.nan, values), dtype="Int64"),
            "suppressed": hidden,
        }
    )
    return cells


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.integers(0, 30), min_size=1, max_size=12),
    min_count=st.integers(2, 8),
)
def test_no_hidden_cell_can_be_narrowed(values: list[int], min_count: int) -> None:
    counts = np.array(values, dtype=float)
    primary = (counts > 0) & (counts < min_count)
    hidden = margin_complements(counts, primary, min_count)
    assert (hidden | ~primary).all()  # primary cells stay hidden
    # The attacker's audit of the same one-way table, by linear programming.
    by_year = _as_table(counts, hidden)
    overall = pd.DataFrame(
        {"femicide_type": ["undetermined"], "count": pd.array([int(counts.sum())], "Int64")}
    )
    overall["suppressed"] = False
    audit = fs.audit_disclosure({"by_year": by_year, "overall": overall}, min_count=min_count)
    left = np.flatnonzero(~hidden & (counts > 0))
    if audit["exposed"].any():
        # Only when no published non-zero cell is left to hide.
        assert left.size == 0
    # Complements are not wasted: removing the last one added exposes a cell again.
    added = np.flatnonzero(hidden & ~primary)
    if added.size:
        fewer = hidden.copy()
        fewer[added[-1]] = False
        again = fs.audit_disclosure(
            {"by_year": _as_table(counts, fewer), "overall": overall}, min_count=min_count
        )
        assert again["exposed"].any()


def test_worked_example() -> None:
    # Years 3, 40, 12, 7, 2 with the total 64 published; 3 and 2 are small (threshold 5).
    counts = np.array([3, 40, 12, 7, 2], dtype=float)
    primary = counts < 5
    # Two hidden cells adding to 5: each anywhere in 0..5, six values; nothing to add.
    assert margin_complements(counts, primary, 5).tolist() == primary.tolist()
    # A single small year: the smallest published year that brings the hidden sum to 4.
    one = np.array([False, False, False, False, True])
    assert margin_complements(counts, one, 5).tolist() == [True, False, False, False, True]
    # 1 hidden and only 1 more small: the hidden sum would be 2, so a third is needed.
    counts = np.array([1, 1, 30, 20], dtype=float)
    assert margin_complements(counts, counts < 5, 5).tolist() == [True, True, False, True]


def test_shapes_must_match() -> None:
    with pytest.raises(DisclosureError, match="shape"):
        margin_complements([1, 2], [True], 5)

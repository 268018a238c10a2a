"""Public hypothesis strategies and assertion helpers for property-testing pipelines.

Use them in your own tests to state what must hold for any valid input, not only for the
files you happen to have::

    from hypothesis import given
    import femstat as fs
    from femstat.testing import victims

    @given(victims())
    def test_my_pipeline_keeps_every_victim(df):
        assert len(my_pipeline(df)) == len(df)

hypothesis is imported when this module is, so it is only needed by test code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from femstat import codes as C

__all__ = [
    "assert_cubes_equal",
    "assert_frame_classified",
    "victim_records",
    "victims",
]

_TRI = st.sampled_from([True, False, None])


@st.composite
def victim_records(
    draw: st.DrawFn,
    *,
    criteria: Sequence[str] = C.CRITERIA,
    years: tuple[int, int] = (2018, 2022),
    areas: Sequence[str] = ("A", "B", "C"),
) -> dict[str, Any]:
    """One victim record as a dict of canonical codes (None for unknown)."""
    record: dict[str, Any] = {
        "year": draw(st.integers(years[0], years[1])),
        "area": draw(st.sampled_from(list(areas))),
        "iccs_code": draw(st.sampled_from(["0101", "0101", "0101", "0102", "0103"])),
        "victim_sex": draw(st.sampled_from(list(C.SEX.codes))),
        "victim_age": draw(st.none() | st.integers(0, 100)),
        "relationship": draw(st.sampled_from(list(C.RELATIONSHIP.codes))),
        "mechanism": draw(st.sampled_from(list(C.MECHANISM.codes))),
        "place": draw(st.sampled_from(list(C.PLACE.codes))),
    }
    for name in criteria:
        record[name] = draw(_TRI)
    return record


def _frame(records: list[dict[str, Any]], criteria: Sequence[str]) -> pd.DataFrame:
    n = len(records)
    df = (
        pd.DataFrame(records)
        if records
        else pd.DataFrame(
            {
                k: []
                for k in (
                    "year",
                    "area",
                    "iccs_code",
                    "victim_sex",
                    "victim_age",
                    "relationship",
                    "mechanism",
                    "place",
                    *criteria,
                )
            }
        )
    )
    df["victim_id"] = np.arange(n, dtype=np.int64)
    df["year"] = df["year"].astype("Int16")
    df["area"] = df["area"].astype("str").astype("category")
    df["iccs_code"] = df["iccs_code"].astype("str").astype("category")
    for column, code_list in (
        ("victim_sex", C.SEX),
        ("relationship", C.RELATIONSHIP),
        ("mechanism", C.MECHANISM),
        ("place", C.PLACE),
    ):
        df[column] = pd.Categorical(df[column], dtype=code_list.dtype)
    df["victim_age"] = pd.array(df["victim_age"].tolist(), dtype="Int16")
    for name in criteria:
        df[name] = pd.array(df[name].tolist(), dtype="boolean")
    return df


@st.composite
def victims(
    draw: st.DrawFn,
    *,
    min_size: int = 0,
    max_size: int = 60,
    criteria: Sequence[str] = C.CRITERIA,
    drop_criteria: bool = True,
) -> pd.DataFrame:
    """Canonical victim microdata frames, as :func:`femstat.validate` returns them.

    Parameters
    ----------
    min_size, max_size : int
        Number of rows.
    criteria : sequence of str
        Criteria columns to draw.
    drop_criteria : bool, default True
        Sometimes leave criteria columns out altogether (which means unknown).
    """
    records = draw(
        st.lists(victim_records(criteria=criteria), min_size=min_size, max_size=max_size)
    )
    df = _frame(records, criteria)
    if drop_criteria:
        dropped = draw(st.lists(st.sampled_from(list(criteria)), unique=True, max_size=3))
        df = df.drop(columns=dropped)
    from femstat.validate import validate

    if len(df) == 0:
        return df
    return validate(df, report=True)[0]


def assert_frame_classified(df: pd.DataFrame, column: str = "femicide_type") -> None:
    """Assert that ``df`` carries a complete, canonical femicide type column."""
    assert column in df.columns, f"no column {column!r}: call femstat.classify first"
    assert df[column].dtype == C.FEMICIDE_TYPE.dtype, f"{column!r} is {df[column].dtype}"
    assert not df[column].isna().any(), f"{column!r} has missing types"


def assert_cubes_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Assert that two count cubes hold the same counts for the same cells.

    Cell order and the order of rows do not matter; missing cells count as zero only if
    both cubes are complete, so a cube that drops its empty cells fails.
    """
    keys = [c for c in left.columns if c != "count"]
    assert sorted(keys) == sorted(c for c in right.columns if c != "count"), (
        f"different breakdowns: {keys} vs {list(right.columns)}"
    )
    a = left.set_index(keys)["count"].sort_index()
    b = right.set_index(keys)["count"].sort_index()
    pd.testing.assert_series_equal(a, b, check_dtype=False, check_index_type=False)

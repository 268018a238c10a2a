"""Public hypothesis strategies and assertion helpers for property-testing pipelines.

Use them in your own tests to state what must hold for any valid input, not only for the
files you happen to have::

    from hypothesis import given
    import femstat as fs
    from femstat.testing import victims

    @given(victims())
    def test_my_pipeline_keeps_every_victim(df):
        assert len(my_pipeline(df)) == len(df)

Strategies: :func:`victim_records`, :func:`victims` (canonical microdata, as
:func:`femstat.validate` returns it) and :func:`cubes` (complete count cubes). Assertions:
:func:`assert_frame_classified`, :func:`assert_cubes_equal` and
:func:`assert_indicators_equal`, which compare results the way a statistician would (row
order and dtype spelling do not matter; cells and values do).

hypothesis is imported when this module is, so it is only needed by test code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from femstat import codes as C

__all__ = [
    "BREAKDOWNS",
    "assert_cubes_equal",
    "assert_frame_classified",
    "assert_indicators_equal",
    "cubes",
    "victim_records",
    "victims",
]

BREAKDOWNS: tuple[str, ...] = (
    "year",
    "area",
    "age_group",
    "relationship_group",
    "mechanism",
    "place",
    "prior_violence",
)
"""Breakdown columns :func:`cubes` draws from: free columns (``year``, ``area``), a
derived one (``age_group``, ``relationship_group``), code lists and a nullable boolean."""

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
    assert C.FEMICIDE_TYPE.is_dtype_of(df[column]), f"{column!r} is {df[column].dtype}"
    assert not df[column].isna().any(), f"{column!r} has missing types"


@st.composite
def cubes(
    draw: st.DrawFn,
    *,
    by: Sequence[str] | None = None,
    male_comparator: bool = False,
    max_count: int | None = None,
    max_victims: int = 40,
) -> pd.DataFrame:
    """Complete count cubes, as :func:`femstat.counts` returns them.

    The cells come from :func:`femstat.counts` on drawn :func:`victims`, so the levels
    of free columns (``year``, ``area``) are those of real data; the counts are those
    victims' or, with ``max_count``, drawn independently for every cell.

    Parameters
    ----------
    by : sequence of str, optional
        The breakdown; by default up to three columns drawn from :data:`BREAKDOWNS`.
    male_comparator : bool, default False
        Include the ``male_homicide`` and ``male_partner_or_family`` rows. Drawn counts
        keep them consistent: partner-or-family ≤ male homicide ≤ ``out_of_scope``.
    max_count : int, optional
        Draw each cell's count in ``0..max_count`` instead of counting the victims.
    max_victims : int, default 40
        Most victims drawn to shape the cube.

    Examples
    --------
    >>> from hypothesis import given
    >>> import femstat as fs
    >>> @given(cubes(by=["year"]))
    ... def test_counts_are_never_negative(cube):
    ...     table = fs.indicators(cube, ["year"])
    ...     assert (table["count"] >= 0).all()
    """
    from femstat.counts import counts

    if by is None:
        by = draw(st.lists(st.sampled_from(list(BREAKDOWNS)), unique=True, max_size=3))
    df = draw(victims(min_size=1, max_size=max_victims))
    cube = counts(df, list(by), male_comparator=male_comparator)
    if max_count is None:
        return cube
    n_types = cube["femicide_type"].nunique()
    drawn = draw(hnp.arrays(np.int64, len(cube), elements=st.integers(0, max_count)))
    table = drawn.reshape(-1, n_types)
    if male_comparator:
        # Columns follow the type order: the types, then the two comparator rows.
        out_of_scope = C.FEMICIDE_TYPES.index("out_of_scope")
        male = len(C.FEMICIDE_TYPES) + 1
        partner_or_family = len(C.FEMICIDE_TYPES)
        table[:, male] = np.minimum(table[:, male], table[:, out_of_scope])
        table[:, partner_or_family] = np.minimum(table[:, partner_or_family], table[:, male])
    return cube.assign(count=table.ravel())


def _labels(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Key columns as text labels: ``2020`` (Int16), ``2020`` (int64) and ``"2020"`` and
    a Categorical in any category order all compare equal."""
    out = {}
    for key in keys:
        column = frame[key]
        if pd.api.types.is_float_dtype(column.dtype):
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            if np.all(np.isnan(values) | (values == np.floor(values))):
                column = column.astype("Int64")
        out[key] = column.astype(object).where(column.notna(), "<NA>").astype(str)
    return pd.DataFrame(out, index=frame.index)


def assert_cubes_equal(
    left: pd.DataFrame, right: pd.DataFrame, *, check_dtype: bool = False
) -> None:
    """Assert that two count cubes hold the same counts for the same cells.

    Cell order, the order of rows and the order of a Categorical's categories do not
    matter; missing cells count as zero only if both cubes are complete, so a cube that
    drops its empty cells fails.

    Parameters
    ----------
    left, right : pandas.DataFrame
        Count cubes (a ``count`` column and key columns).
    check_dtype : bool, default False
        Also require every key column to have the same dtype in both cubes, with
        Categorical categories in the same order.
    """
    keys = [c for c in left.columns if c != "count"]
    assert sorted(keys) == sorted(c for c in right.columns if c != "count"), (
        f"different breakdowns: {keys} vs {list(right.columns)}"
    )
    if check_dtype:
        for key in keys:
            a_type, b_type = left[key].dtype, right[key].dtype
            assert a_type == b_type, f"column {key!r}: dtype {a_type} vs {b_type}"
            if isinstance(a_type, pd.CategoricalDtype) and isinstance(b_type, pd.CategoricalDtype):
                # CategoricalDtype equality ignores the order of unordered categories.
                assert list(a_type.categories) == list(b_type.categories), (
                    f"column {key!r}: categories {list(a_type.categories)} vs "
                    f"{list(b_type.categories)}"
                )
    a = _labels(left, keys).assign(count=left["count"]).set_index(keys)["count"].sort_index()
    b = _labels(right, keys).assign(count=right["count"]).set_index(keys)["count"].sort_index()
    assert a.index.is_unique, "the left cube repeats a cell"
    assert b.index.is_unique, "the right cube repeats a cell"
    pd.testing.assert_series_equal(a, b, check_dtype=False, check_index_type=False)


def assert_indicators_equal(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    on: Sequence[str] | None = None,
    rtol: float = 0.0,
) -> None:
    """Assert that two indicator tables hold the same values for the same groups.

    Row order, column order and dtype spelling (Categorical or text keys, ``Int16`` or
    ``int64``, nullable or NumPy floats) do not matter; the groups, the columns and every
    value do, exactly unless ``rtol`` says otherwise. Missing values must be missing in
    both tables.

    Parameters
    ----------
    left, right : pandas.DataFrame
        Tables from :func:`femstat.indicators` (or any tidy table of statistics).
    on : sequence of str, optional
        The key columns identifying a row. By default those before ``count``, which in
        :func:`femstat.indicators` output are the breakdown and ``femicide_type``.
    rtol : float, default 0
        Relative tolerance for floating-point values; 0 requires them to be equal.
    """
    assert sorted(map(str, left.columns)) == sorted(map(str, right.columns)), (
        f"different columns: {sorted(map(str, left.columns))} vs {sorted(map(str, right.columns))}"
    )
    if on is None:
        columns = list(left.columns)
        assert "count" in columns, "no 'count' column: pass the key columns as on=[...]"
        on = columns[: columns.index("count")]
    keys = list(on)
    assert len(left) == len(right), f"different numbers of rows: {len(left)} vs {len(right)}"
    a = _normalised(left, keys)
    b = _normalised(right, keys)[list(a.columns)]
    assert a.index.is_unique, f"the keys {keys} do not identify the rows of the left table"
    assert b.index.is_unique, f"the keys {keys} do not identify the rows of the right table"
    pd.testing.assert_frame_equal(
        a,
        b,
        check_exact=rtol == 0,
        rtol=rtol if rtol else 1e-5,
        check_index_type=False,
        check_dtype=True,
    )


def _normalised(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    values: dict[str, pd.Series] = {}
    for name in table.columns:
        if name in keys:
            continue
        column = table[name]
        if pd.api.types.is_bool_dtype(column.dtype) and not column.isna().any():
            values[name] = column.astype(bool)
        elif pd.api.types.is_numeric_dtype(column.dtype):
            values[name] = pd.Series(
                column.to_numpy(dtype=np.float64, na_value=np.nan), index=table.index
            )
        else:
            values[name] = column.astype(object).where(column.notna(), None).astype(str)
    frame = pd.concat([_labels(table, keys), pd.DataFrame(values, index=table.index)], axis=1)
    return frame.set_index(list(keys)).sort_index()

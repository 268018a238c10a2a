"""Completeness: how much of the information the typology needs is actually known.

Roughly four in ten female homicide victims worldwide lack the information to be
classified (UNODC and UN Women 2022); a femicide count means little without the share of
records it could not decide. These shares are computed per group over in-scope records.

The shares are ratios of counts: in-scope records, and in-scope records with each piece of
information unknown. Those counts form a complete cube (one row per group and measure),
which adds up over disjoint parts of the data like a count cube does; the shares are taken
once, from the cube of the whole (this is how Dask partitions combine).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.ages import AgeScheme
from femstat.classify import UN_2022, RuleSet, classify, facts
from femstat.counts import (
    BreakdownError,
    _Encoded,
    _frame_from_levels,
    _levels_of,
    check_breakdown,
    group_cells,
)

__all__ = ["completeness"]

MEASURE = "measure"
"""The completeness cube's last dimension: ``female_homicide``, then each numerator."""


def _measures(rules: RuleSet) -> pd.CategoricalDtype:
    """The measures of the completeness cube, in the order of the output columns."""
    names = [
        "female_homicide",
        "relationship_unknown",
        "age_unknown",
        *(f"{name}_unknown" for name in rules.criteria),
        "any_criterion_unknown",
        "undetermined",
    ]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"rule set {rules.name!r}: its criteria give completeness columns that clash "
            f"with others ({repeated}); rename the criteria columns"
        )
    return pd.CategoricalDtype(names, ordered=True)


def completeness(
    data: pd.DataFrame,
    by: Sequence[str] | str = (),
    *,
    rules: RuleSet = UN_2022,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
) -> pd.DataFrame:
    """Share of in-scope records with each piece of information unknown, per group.

    Parameters
    ----------
    data : pandas.DataFrame or dask.dataframe.DataFrame
        Victim microdata (validated and classified first if needed). A Dask DataFrame is
        validated, classified and counted partition by partition
        (:func:`femstat.dask.completeness`), with the same result as in memory.
    by : str or sequence of str
        Breakdown columns, as for :func:`femstat.counts`.
    rules : RuleSet
        Whose criteria to inspect and whose classification gives ``undetermined``.
    age_groups : scheme, default ``"unodc"``
        Groups for an ``"age_group"`` breakdown; see :func:`femstat.ages.age_scheme`.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``female_homicide`` (in-scope records), then the shares
        ``relationship_unknown``, ``age_unknown``, ``<criterion>_unknown`` for each
        criterion of ``rules``, ``any_criterion_unknown`` and ``undetermined``. Shares of
        an empty group are NaN, not 0.

    Notes
    -----
    Each share is a count of in-scope records with the item unknown, divided by the
    group's in-scope records. The counts are made first, as a complete cube over the
    breakdown's levels (zeros included), and divided once: for a Dask DataFrame the
    partitions' count cubes are added on the client before dividing, so no share is ever
    averaged over partitions, and the levels of free columns (``year``, ``area``) are the
    union over partitions.
    """
    from femstat import dask as _dask  # does not import Dask itself

    check_breakdown([by] if isinstance(by, str) else list(by))
    if _dask.is_dask_frame(data):  # partition by partition, count cubes added
        return _dask.completeness(data, by, rules=rules, age_groups=age_groups)
    by = [by] if isinstance(by, str) else list(by)
    return _shares(_completeness_cube(data, by, rules=rules, age_groups=age_groups), by)


def _completeness_cube(
    data: pd.DataFrame,
    by: Sequence[str],
    *,
    rules: RuleSet = UN_2022,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
) -> pd.DataFrame:
    """The counts behind :func:`completeness`, as a complete cube.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``measure`` (ordered Categorical, see :func:`_measures`) and
        ``count`` (int64): one row per group and measure, groups in the order
        :func:`completeness` gives them and measures varying fastest. Cubes of disjoint
        parts of the data add up with :func:`femstat.add_cubes`.
    """
    by = list(by)
    if MEASURE in by:
        raise BreakdownError(f"{MEASURE!r} cannot be a breakdown column of completeness")
    measures = _measures(rules)
    if rules.type_column not in data.columns:
        data = classify(data, rules=rules)
    f = facts(data, rules)
    in_scope = f["in_scope"]
    cell, encoded = group_cells(data, by, age_groups=age_groups)
    n_groups = int(np.prod([len(e.levels) for e in encoded], dtype=np.int64))
    scoped_cell = cell[in_scope]

    def per_group(flag: np.ndarray) -> np.ndarray:
        return np.bincount(scoped_cell[flag[in_scope]], minlength=n_groups)

    columns = [
        np.bincount(scoped_cell, minlength=n_groups),
        per_group(f["group"] == C.RELATIONSHIP_GROUP.code_of("unknown")),
        per_group(data["victim_age"].isna().to_numpy()),
    ]
    for name in rules.criteria:
        unknown = (
            data[name].isna().to_numpy() if name in data.columns else np.ones(len(data), dtype=bool)
        )
        columns.append(per_group(unknown))
    columns.append(per_group(f["any_unknown"]))
    columns.append(per_group((data[rules.type_column] == "undetermined").to_numpy()))
    table = np.stack(columns, axis=1)  # (group, measure)
    measure = _Encoded(MEASURE, np.empty(0, dtype=np.int8), _levels_of(measures, MEASURE))
    return _frame_from_levels([*encoded, measure], table.ravel())


def _shares(cube: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The completeness table from its count cube (:func:`_completeness_cube`)."""
    names = [str(n) for n in cube[MEASURE].cat.categories]
    n_measures = len(names)
    table = cube["count"].to_numpy(dtype=np.int64).reshape(-1, n_measures)
    out = cube[list(by)].iloc[::n_measures].reset_index(drop=True)
    total = table[:, 0]
    out[names[0]] = total
    with np.errstate(invalid="ignore", divide="ignore"):
        for j, name in enumerate(names[1:], start=1):
            out[name] = np.where(total > 0, table[:, j] / np.maximum(total, 1), np.nan)
    return out

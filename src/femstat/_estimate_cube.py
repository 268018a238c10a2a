"""The count cube that :func:`femstat.estimate` works from, built in memory, batch by batch
or partition by partition.

Everything the imputation models and the classification read of an in-scope record is
categorical: the breakdown, the covariates (ages by their age group), the relationship,
the state of each criterion (true, false, unknown) and the type. The estimate therefore
needs only the number of records of each distinct combination: the cube. Cubes of parts of
the data add up, and the merged cube of any split of the data is the cube of the whole, so
the estimate of a file read in batches, or of a Dask frame in any partitioning, is the
estimate of the whole frame, number for number, for the same seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from femstat.ages import AgeScheme
from femstat.classify import RuleSet

__all__ = ["Cube", "cube_columns", "frame_cube", "merge_cubes"]

_AGES = ("victim_age", "perpetrator_age")


@dataclass(frozen=True)
class Cube:
    """Distinct combinations of the columns the estimate reads, and their record counts.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per distinct combination, sorted; the columns keep their dtypes.
    weights : numpy.ndarray of int64
        Number of records of each row.
    """

    frame: pd.DataFrame
    weights: np.ndarray

    @property
    def n_records(self) -> int:
        """Number of records the cube counts."""
        return int(self.weights.sum())


def cube_columns(
    available: Sequence[str],
    by: Sequence[str],
    covariates: Sequence[str],
    rules: RuleSet,
) -> list[str]:
    """The columns of the data the estimate reads, in a fixed order.

    ``"age_group"`` (when not a column) reads ``victim_age`` and ``"relationship_group"``
    reads ``relationship``, as :func:`femstat.counts` does. Columns that are absent are
    left out: the estimate then says what is missing, as it does for a frame.
    """
    present = set(available)
    wanted: list[str] = []
    for name in [*by, *covariates]:
        if name in present:
            wanted.append(name)
        elif name == "age_group":
            wanted.append("victim_age")
        elif name == "relationship_group":
            wanted.append("relationship")
    wanted += ["victim_sex", "relationship", rules.type_column, *rules.criteria]
    return [c for c in dict.fromkeys(wanted) if c in present]


def _grouped_ages(series: pd.Series, scheme: AgeScheme) -> pd.Series:
    """Each age replaced by the lower bound of its age group (unknown stays unknown).

    The models see ages only by group; keeping single years would multiply the cube's
    rows by up to a hundred for nothing.
    """
    codes = scheme.codes(series.array)
    lower = np.asarray(scheme.lower, dtype=np.int64)
    known = codes < len(lower)
    values = np.where(known, lower[np.minimum(codes, len(lower) - 1)], 0)
    out = pd.array(values, dtype="Int64")
    out[~known] = pd.NA
    grouped = pd.Series(out, index=series.index, name=series.name)
    # The column keeps its dtype (Int16 from validation), so that cubes of parts concatenate.
    dtype: Any = series.dtype if pd.api.types.is_extension_array_dtype(series.dtype) else "Int64"
    return grouped.astype(dtype)


def frame_cube(
    frame: pd.DataFrame, columns: Sequence[str], scheme: AgeScheme, keep_ages: Sequence[str] = ()
) -> Cube:
    """The cube of one classified frame over ``columns``.

    Ages (``victim_age``, ``perpetrator_age``) are reduced to their age group unless listed
    in ``keep_ages`` (an explicit breakdown by single years of age).
    """
    data = frame.loc[:, list(columns)]
    for name in _AGES:
        if name in data.columns and name not in keep_ages:
            data[name] = _grouped_ages(data[name], scheme)
    return _group(data, np.ones(len(data), dtype=np.int64))


def _group(data: pd.DataFrame, weights: np.ndarray) -> Cube:
    columns = list(data.columns)
    if not len(data):
        return Cube(data.reset_index(drop=True), np.zeros(0, dtype=np.int64))
    sums = (
        data.assign(__weight__=weights)
        .groupby(columns, dropna=False, observed=True, sort=True)["__weight__"]
        .sum()
    )
    keys = sums.index.to_frame(index=False).astype(data.dtypes.to_dict())
    return Cube(keys.reset_index(drop=True), sums.to_numpy(dtype=np.int64))


def merge_cubes(parts: Iterable[Cube]) -> Cube:
    """The cube of the concatenated data of ``parts`` (the sum of their counts).

    A categorical column whose categories differ between parts (free codes such as
    ``area``, whose categories are those each part holds) gets the sorted union of them,
    as validating the whole data would give.
    """
    given = list(parts)
    cubes = [c for c in given if len(c.frame)] or given[:1]
    if not cubes:
        raise ValueError("no cube to merge")
    if len(cubes) == 1:
        only = cubes[0]
        return _group(only.frame, only.weights)
    frames = [c.frame for c in cubes]
    for name in frames[0].columns:
        dtypes = [f[name].dtype for f in frames]
        first = dtypes[0]
        if isinstance(first, pd.CategoricalDtype) and any(d != first for d in dtypes):
            union = sorted(
                {v for d in dtypes if isinstance(d, pd.CategoricalDtype) for v in d.categories}
            )
            frames = [f.assign(**{name: f[name].cat.set_categories(union)}) for f in frames]
    data = pd.concat(frames, ignore_index=True)
    return _group(data, np.concatenate([c.weights for c in cubes]))

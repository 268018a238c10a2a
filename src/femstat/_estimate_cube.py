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

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.ages import AgeScheme
from femstat.classify import RuleSet
from femstat.errors import EstimateError, FemstatError

__all__ = [
    "Cube",
    "CubeSpec",
    "cube_columns",
    "dask_cube",
    "file_cube",
    "frame_cube",
    "merge_cubes",
]

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


def _representatives(codes: Sequence[str], group_of: Mapping[str, str]) -> dict[str, str]:
    """Each code mapped to one code of its group (the group's own code when it has one)."""
    first: dict[str, str] = {}
    for code in codes:
        first.setdefault(group_of[code], code)
    return {
        code: group_of[code] if group_of[code] in codes else first[group_of[code]] for code in codes
    }


def _rolled_up(series: pd.Series, group_of: Mapping[str, str]) -> pd.Series:
    """A coded column with each code replaced by its group's representative."""
    categories = [str(c) for c in series.cat.categories]
    mapping = _representatives(categories, group_of)
    codes = np.asarray(series.array.codes)
    table = np.array([categories.index(mapping[c]) for c in categories], dtype=codes.dtype)
    rolled = np.where(codes < 0, codes, table[np.maximum(codes, 0)] if len(table) else codes)
    dtype: Any = series.dtype
    values = pd.Categorical.from_codes(rolled, dtype=dtype)
    return pd.Series(values, index=series.index, name=series.name)


def frame_cube(
    frame: pd.DataFrame,
    columns: Sequence[str],
    scheme: AgeScheme,
    by: Sequence[str] = (),
    type_column: str | None = None,
) -> Cube:
    """The cube of one classified frame over ``columns``.

    What the estimate does not distinguish is merged, so that the cube has fewer rows:
    ages (``victim_age``, ``perpetrator_age``) by their age group, the relationship by its
    group and the place by its top-level group (the models and the rule read no more),
    unless they are in the breakdown ``by``; and for records out of scope (with
    ``type_column``), everything but the breakdown, which is all that is counted of them.
    """
    data = frame.loc[:, list(columns)]
    keep = set(by)
    sources = set(by)
    derived = {"age_group": "victim_age", "relationship_group": "relationship"}
    sources.update(derived[b] for b in by if b in derived and b not in data.columns)
    lists = {"relationship": C.RELATIONSHIP, "place": C.PLACE}
    for name in _AGES:
        if name in data.columns and name not in keep:
            data[name] = _grouped_ages(data[name], scheme)
    for name, group_of in (("relationship", C.RELATIONSHIP_GROUP_OF), ("place", C.PLACE_GROUP)):
        if name in data.columns and name not in keep and lists[name].is_dtype_of(data[name]):
            data[name] = _rolled_up(data[name], group_of)
    if type_column is not None and type_column in data.columns:
        out = (data[type_column] == "out_of_scope").to_numpy()
        if out.any():
            for name in data.columns:
                if name not in sources and name != type_column:
                    data.loc[out, name] = None
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


# --------------------------------------------------------------------------------------
# Files, batch by batch, and Dask frames, partition by partition


@dataclass(frozen=True)
class CubeSpec:
    """What a cube is made of: the breakdown, the covariates, the rule set, the ages."""

    by: tuple[str, ...]
    covariates: tuple[str, ...]
    rules: RuleSet
    scheme: AgeScheme

    def of(self, typed: pd.DataFrame) -> Cube:
        """The cube of one classified part."""
        columns = cube_columns(list(typed.columns), self.by, self.covariates, self.rules)
        return frame_cube(typed, columns, self.scheme, self.by, self.rules.type_column)


def file_cube(
    path: str | os.PathLike[str],
    spec: CubeSpec,
    *,
    mapping: Any = None,
    format: Any = None,
    batch_rows: int = 1_000_000,
    check_unique_ids: bool = True,
    value_labels: Any = "auto",
    progress: bool | None = None,
    **kwargs: Any,
) -> Cube:
    """The cube of a victim file, read, mapped, validated and classified batch by batch.

    Only the running cube is kept, with the victim ids (8 bytes each) when they are
    checked. Errors, warnings and the checks of the whole file (no rows; ``victim_id``
    unique across batches) are those of :func:`femstat.stream.counts_from_file`.
    """
    from femstat import _cube
    from femstat import stream as _stream
    from femstat.classify import classify
    from femstat.errors import ValidationError
    from femstat.sources.mapping import load_mapping
    from femstat.sources.readers import iter_raw, raw_info
    from femstat.validate import validate

    path = Path(path)
    resolved = load_mapping(mapping) if mapping is not None else None
    info = raw_info(path, format=format, **kwargs)
    produced = {s.target for s in resolved.columns} if resolved is not None else set()
    available = [*info.columns, *produced]
    sources = [*spec.by, *spec.covariates, *(a for a in _AGES if a not in spec.by)]
    needed = _cube.needed_columns(available, sources, spec.rules, check_unique_ids)
    columns, restricted = _stream._projection(info.columns, resolved, needed)
    accumulator = _stream.CubeAccumulator(
        (),
        rules=spec.rules,
        check_unique_ids=check_unique_ids,
        source=f"file {path.name!r}",
        unit="batch",
    )
    running: Cube | None = None
    batches = iter_raw(
        path,
        format=info.format,
        columns=columns,
        batch_rows=batch_rows,
        mapping=resolved,
        value_labels=value_labels,
        **kwargs,
    )
    with _stream._progress_bar(progress, info.n_rows, path.name) as advance:
        for batch in batches:
            part = _cube.PartCounts(len(batch))
            cube = None
            if len(batch):
                try:
                    clean, report = validate(batch, mapping=restricted, report=True)
                except ValidationError as exc:
                    part.failure = _cube.Failure(exc.failure_cases, exc.hint, exc.truncated)
                else:
                    part.report = report
                    if check_unique_ids and "victim_id" in clean.columns:
                        part.ids, part.ids_exact = _cube._id_keys(clean["victim_id"])
                    cube = spec.of(classify(clean, rules=spec.rules))
            # Raises a failure with the rows numbered in the whole file.
            accumulator._parts.add_counts(part)
            if cube is not None:
                running = cube if running is None else merge_cubes([running, cube])
            advance(len(batch))
    accumulator._parts.finish(report=False, values_at=None, stacklevel=4)
    assert running is not None  # _finish refuses a file without rows
    return running


def dask_cube(ddf: Any, spec: CubeSpec, check: Callable[[pd.DataFrame], None]) -> Cube:
    """The cube of a classified Dask frame, one partition at a time on the workers.

    ``check`` is run on every non-empty partition (that its type column is what the rule
    set makes of it); its error names the partition.
    """
    from femstat.errors import require

    dask: Any = require("dask", "dask")

    def part_cube(frame: pd.DataFrame, number: int) -> Cube:
        if not len(frame):
            return Cube(frame.iloc[:0], np.zeros(0, dtype=np.int64))
        try:
            check(frame)
        except FemstatError as exc:
            raise type(exc)(f"partition {number}: {exc}") from exc
        return spec.of(frame)

    tasks = [dask.delayed(part_cube)(p, i) for i, p in enumerate(ddf.to_delayed())]
    cubes = dask.compute(*tasks)
    non_empty = [c for c in cubes if len(c.frame)]
    if not non_empty:
        raise EstimateError(
            "the Dask frame has no rows: there is nothing to estimate. Pass the classified "
            "victim table."
        )
    return merge_cubes(non_empty)

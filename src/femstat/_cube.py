"""The cube layer's internal interface: not public API, stable within femstat.

Everything the engines share to turn records into count cubes lives here, below them:

- the rule's inputs (:func:`rule_inputs`, from :mod:`femstat.classify`);
- counting one frame or part into a cube (:func:`count_frame`, :func:`group_cells`,
  :func:`frame_from_levels`), with the provenance record :func:`add_cubes` checks;
- the completeness cube and its shares (:func:`completeness_cube`, :func:`shares`);
- one part validated, classified and counted into plain data (:class:`Options`,
  :func:`count_part`, :class:`PartCounts`), and the parts added up, with the checks that
  need the whole data (:class:`PartsAccumulator`);
- the columns a count reads (:func:`needed_columns`).

The engines feed it: :mod:`femstat.counts` (a frame in memory), :mod:`femstat.stream`
(a file in batches) and :mod:`femstat._dispatch` (a Dask DataFrame's partitions, behind
:mod:`femstat.dask`); :mod:`femstat.indicators` and :mod:`femstat.completeness` compute from
the cubes. This module imports none of them. Its names are public within femstat (no
leading underscore); the module itself is private, so they can change with femstat.

A count cube holds, for every combination of the breakdown columns' levels and every
femicide type, the number of victim records: empty cells are explicit zeros. Code columns
contribute every declared category; free columns (``year``, ``area``, any other) the
values present. Cubes of disjoint parts of the data add up exactly to the cube of the
whole (:func:`add_cubes`), which is how chunked files and Dask partitions combine.

Counting is one pass over integer codes: each breakdown column is reduced to small
integer codes, the codes are combined in mixed radix into one cell number per record, and
:func:`numpy.bincount` counts the cells.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from femstat import _kernel
from femstat import codes as C
from femstat._arrays import masked_parts
from femstat.ages import AgeScheme, age_scheme
from femstat.classify import (
    RULES_ATTR,
    UN_2022,
    RuleSet,
    classify,
    facts,
    homicide_of,
    is_canonical,
    rule_inputs,
    rules_record,
)
from femstat.errors import DataQualityWarning, FemstatError, ValidationError
from femstat.schemas import is_sensitive
from femstat.sources.mapping import Mapping as SourceMapping
from femstat.validate import (
    _FAILURE_COLUMNS,
    _SHOWN_ROWS,
    _WARNING_COLUMNS,
    WITHHELD,
    ValidationReport,
    _case_lines,
    validate,
)

__all__ = [
    "COMPARATOR_CLASSES",
    "MEASURE",
    "PROVENANCE",
    "BreakdownError",
    "CubeMismatchError",
    "Failure",
    "Options",
    "PartCounts",
    "PartsAccumulator",
    "add_cubes",
    "check_breakdown",
    "completeness_cube",
    "count_frame",
    "count_part",
    "cube_keys",
    "cube_provenance",
    "frame_from_levels",
    "group_cells",
    "is_declared",
    "needed_columns",
    "rule_inputs",
    "shares",
]

PROVENANCE = "femstat_cube"
"""Key of a cube's ``attrs`` holding how it was made (see :func:`cube_provenance`)."""


COMPARATOR_CLASSES: tuple[str, ...] = ("male_partner_or_family", "male_homicide")
"""Extra cube rows for the male comparator. They overlap ``out_of_scope``: never add them
to the six types."""

_DECLARED = {
    C.SEX.dtype,
    C.RELATIONSHIP.dtype,
    C.RELATIONSHIP_GROUP.dtype,
    C.MECHANISM.dtype,
    C.PLACE.dtype,
    C.SITUATIONAL_CONTEXT.dtype,
    C.CITIZENSHIP.dtype,
    C.CASE_STATUS.dtype,
    C.LEGAL_QUALIFICATION.dtype,
    C.FEMICIDE_TYPE.dtype,
}
_TYPES_WITH_COMPARATOR = pd.CategoricalDtype([*C.FEMICIDE_TYPES, *COMPARATOR_CLASSES])
_DECLARED.add(_TYPES_WITH_COMPARATOR)
_BOOLEAN_LEVELS = pd.CategoricalDtype(["yes", "no", "unknown"])
_DECLARED.add(_BOOLEAN_LEVELS)
_MAX_CELLS = 50_000_000
_MAX_SPAN = 10_000_000  # integer columns spanning fewer values are counted by value, no sort
_GROUP_OF_RELATIONSHIP = np.array(
    [C.RELATIONSHIP_GROUP.code_of(C.RELATIONSHIP_GROUP_OF[c]) for c in C.RELATIONSHIP],
    dtype=np.int8,
)


class BreakdownError(FemstatError, KeyError):
    """A breakdown column that cannot be counted."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class CubeMismatchError(FemstatError, ValueError):
    """Count cubes that were made differently and so cannot be added."""


def check_breakdown(by: Sequence[str]) -> None:
    """Refuse a breakdown by an identifying column (:func:`femstat.schemas.is_sensitive`).

    One group per victim or per event would publish each record under its identifier:
    such a "breakdown" is a list of victims, not a statistic.
    """
    refused = [name for name in by if is_sensitive(name)]
    if refused:
        what = "it is an identifying column" if len(refused) == 1 else "they identify records"
        raise BreakdownError(
            f"a breakdown by {refused} is refused: {what}"
            ", and one group per identifier would publish every record under its "
            "identifier. Break down by coded columns (year, area, age_group, ...) instead."
        )


def cube_provenance(cube: pd.DataFrame) -> dict[str, Any] | None:
    """How a count cube was made, as :func:`femstat.counts` recorded it; None if not recorded.

    Returns
    -------
    dict or None
        ``breakdown`` (the ``by`` columns), ``type_column``, ``classes`` (the levels of the
        type column), ``male_comparator``, ``age_scheme`` (lower bounds and labels, when
        ``age_group`` was made from ``victim_age``, else None) and ``rules`` (name and
        fingerprint of the rule set that classified the records; None when the data came
        classified without a record of it). A cube made by hand or read back from a file
        has none.
    """
    meta = cube.attrs.get(PROVENANCE)
    return dict(meta) if isinstance(meta, Mapping) else None


def _provenance(
    by: Sequence[str],
    data: pd.DataFrame,
    type_column: str,
    scheme: AgeScheme,
    male_comparator: bool,
    rules: dict[str, str] | None,
) -> dict[str, Any]:
    derived_age = "age_group" in by and "age_group" not in data.columns
    classes = [*C.FEMICIDE_TYPES, *(COMPARATOR_CLASSES if male_comparator else ())]
    return {
        "breakdown": list(by),
        "type_column": type_column,
        "classes": classes,
        "male_comparator": bool(male_comparator),
        # The bands, not the scheme's name: the same bands under two names count alike.
        "age_scheme": (
            {"lower": list(scheme.lower), "labels": list(scheme.labels)} if derived_age else None
        ),
        "rules": rules,
    }


@dataclass(frozen=True)
class _Encoded:
    """One breakdown column as integer codes and the levels they index."""

    name: str
    codes: np.ndarray
    levels: pd.Series  # the cube's column for this dimension, one entry per level


def _levels_of(dtype: Any, name: str) -> pd.Series:
    """Every category of a declared dtype, as the cube column of that dimension."""
    codes = np.arange(len(dtype.categories))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), name=name)


def _in_code_order(series: pd.Series) -> pd.Series:
    """A Categorical with a code list's categories in another order, recoded to its order.

    pandas finds such dtypes equal (unordered categories compare as sets), but their
    integer codes mean other values: every reading of codes goes through this first.
    """
    dtype = series.dtype
    if not isinstance(dtype, pd.CategoricalDtype) or dtype.ordered:
        return series
    for declared in _DECLARED:
        if dtype == declared and not dtype.categories.equals(declared.categories):
            # astype() to an "equal" dtype would keep the order: reorder explicitly.
            return series.cat.reorder_categories(list(declared.categories))
    return series


def is_declared(dtype: object) -> bool:
    """Code lists and age schemes (ordered) contribute every level, present or not."""
    if not isinstance(dtype, pd.CategoricalDtype):
        return False
    return bool(dtype.ordered) or any(dtype.categories.equals(d.categories) for d in _DECLARED)


def _text_order(categories: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """The order of free categories in a cube (sorted as text), and each one's rank in it."""
    order = np.argsort(np.asarray(categories, dtype=object).astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return order, rank


def _encode_present(name: str, values: pd.Series) -> _Encoded:
    """Codes over the values present, sorted; missing values are an error."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat_codes = values.cat.codes.to_numpy()
        if (cat_codes < 0).any():
            _missing_error(name, int((cat_codes < 0).sum()))
        present = np.bincount(cat_codes, minlength=len(values.cat.categories)) > 0
        remap = np.cumsum(present) - 1
        kept = values.cat.categories[present]
        order, rank = _text_order(kept)
        levels = pd.Series(pd.Categorical(kept[order], categories=kept[order]), name=name)
        return _Encoded(name, rank[remap[cat_codes]], levels)
    if values.dtype.kind in "iu" or str(values.dtype).startswith(("Int", "UInt")):
        if values.isna().any():
            _missing_error(name, int(values.isna().sum()))
        array = values.to_numpy(dtype=np.int64)
        low, high = (int(array.min()), int(array.max())) if len(array) else (0, -1)
        if high - low < _MAX_SPAN:
            # Small range (years, ages): present values by bincount, no sort.
            present = np.bincount(array - low, minlength=high - low + 1) > 0
            remap = np.cumsum(present) - 1
            level_values = np.flatnonzero(present) + low
            levels = pd.Series(level_values, name=name).astype(values.dtype)
            return _Encoded(name, remap[array - low], levels)
    codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
    if (codes < 0).any():
        _missing_error(name, int((codes < 0).sum()))
    return _Encoded(name, codes, pd.Series(uniques, name=name))


def _missing_error(name: str, n: int) -> None:
    raise BreakdownError(
        f"breakdown column {name!r} has {n:,} missing value(s); a count cannot place them. "
        f"Fill them with an explicit level (e.g. 'unknown') before counting."
    )


def _encode(name: str, df: pd.DataFrame, scheme: AgeScheme) -> _Encoded:
    if name == "age_group" and name not in df.columns:
        return _Encoded(
            name,
            scheme.codes(df["victim_age"]),
            pd.Series(pd.Categorical(scheme.labels, dtype=scheme.dtype), name=name),
        )
    if name == "relationship_group" and name not in df.columns:
        rel = _in_code_order(df["relationship"])
        if not C.RELATIONSHIP.is_dtype_of(rel):
            raise BreakdownError("column 'relationship' is not canonical; validate first")
        return _Encoded(
            name,
            _GROUP_OF_RELATIONSHIP[rel.cat.codes.to_numpy()],
            pd.Series(
                pd.Categorical(C.RELATIONSHIP_GROUP.codes, dtype=C.RELATIONSHIP_GROUP.dtype),
                name=name,
            ),
        )
    if name not in df.columns:
        raise BreakdownError(
            f"breakdown column {name!r} is not in the data; columns: {list(df.columns)[:30]}"
        )
    series = _in_code_order(df[name])
    if is_declared(series.dtype):
        dtype = series.dtype
        cat_codes = series.cat.codes.to_numpy()
        if (cat_codes < 0).any():
            _missing_error(name, int((cat_codes < 0).sum()))
        return _Encoded(
            name,
            cat_codes,
            _levels_of(dtype, name),
        )
    if series.dtype == "boolean":
        values, missing = masked_parts(series)
        codes = np.where(missing, 2, np.where(values, 0, 1))
        return _Encoded(
            name,
            codes,
            pd.Series(pd.Categorical(_BOOLEAN_LEVELS.categories, dtype=_BOOLEAN_LEVELS), name=name),
        )
    return _encode_present(name, series)


def _cell_numbers(encoded: Sequence[_Encoded], shape: Sequence[int], n: int) -> np.ndarray:
    n_cells = int(np.prod(shape, dtype=np.int64))
    dtype = np.int32 if n_cells < np.iinfo(np.int32).max else np.int64
    cell: np.ndarray = np.zeros(n, dtype=dtype)
    for enc, size in zip(encoded, shape, strict=True):
        cell *= size
        cell += enc.codes
    return cell


def frame_from_levels(encoded: Sequence[_Encoded], counts: np.ndarray) -> pd.DataFrame:
    """The cube frame: every combination of the levels (last one fastest) and ``count``."""
    shape = tuple(len(e.levels) for e in encoded)
    positions = np.unravel_index(np.arange(counts.size), shape) if shape else ()
    # Taking from the levels' arrays keeps their dtypes without re-validating the
    # categories (a Series .iloc does, and costs milliseconds per call on small cubes).
    columns: dict[str, Any] = {
        e.name: e.levels.array.take(pos) for e, pos in zip(encoded, positions, strict=True)
    }
    columns["count"] = counts.astype(np.int64)
    return pd.DataFrame(columns, index=pd.RangeIndex(counts.size), copy=False)


def cube_keys(cube: pd.DataFrame) -> list[str]:
    """The breakdown columns of a cube (every column but ``count``), in order."""
    if "count" not in cube.columns:
        raise BreakdownError("not a count cube: no 'count' column (make one with fs.counts)")
    return [c for c in cube.columns if c != "count"]


def group_cells(
    data: pd.DataFrame,
    by: Sequence[str],
    *,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    extra_cells: int = 1,
) -> tuple[np.ndarray, list[_Encoded]]:
    """Number each record's group in the complete product of the breakdown's levels.

    Returns the cell number of every record and the encoded dimensions; the cube's
    ``extra_cells`` factor (the types) only enters the size check.
    """
    if len(set(by)) != len(by):
        raise BreakdownError(f"a breakdown column is repeated: {list(by)}")
    check_breakdown(by)
    scheme = age_scheme(age_groups)
    encoded = [_encode(name, data, scheme) for name in by]
    shape = [len(e.levels) for e in encoded]
    n_cells = int(np.prod([*shape, extra_cells], dtype=np.int64))
    if n_cells > _MAX_CELLS:
        raise BreakdownError(
            f"the breakdown {list(by)} makes {n_cells:,} cells; more than {_MAX_CELLS:,} is "
            "rarely meant: count fewer columns at once"
        )
    return _cell_numbers(encoded, [*shape], len(data)), encoded


def count_frame(
    data: pd.DataFrame,
    by: Sequence[str] | str = (),
    *,
    type_column: str = "femicide_type",
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    male_comparator: bool = False,
    rules: RuleSet = UN_2022,
) -> pd.DataFrame:
    """:func:`femstat.counts` of a pandas DataFrame: the same cube, checks and record."""
    check_breakdown([by] if isinstance(by, str) else list(by))
    by = [by] if isinstance(by, str) else list(by)
    if type_column in by:
        raise BreakdownError(f"{type_column!r} is always a dimension; do not list it in by")
    if type_column in data.columns:
        recorded = data.attrs.get(RULES_ATTR, {})
        rules_used = recorded.get(type_column) if isinstance(recorded, Mapping) else None
    else:
        rules_used = rules_record(rules)
    cube = _count(data, by, type_column, age_groups, male_comparator, rules)
    cube.attrs = {
        PROVENANCE: _provenance(
            by, data, type_column, age_scheme(age_groups), male_comparator, rules_used
        )
    }
    return cube


def _count(
    data: pd.DataFrame,
    by: list[str],
    type_column: str,
    age_groups: str | AgeScheme | Sequence[int],
    male_comparator: bool,
    rules: RuleSet,
) -> pd.DataFrame:
    """:func:`femstat.counts` without the checks and the provenance record."""
    one_pass_tried = False
    if type_column not in data.columns:
        if type_column == rules.type_column and len(data) and not rules.is_extended:
            if not is_canonical(data):
                from femstat.validate import validate

                data = validate(data)
            cube = _count_in_one_pass(data, by, type_column, age_groups, male_comparator, rules)
            if cube is not None:
                return cube
            one_pass_tried = True  # too many possible cells: the general path decides
        data = classify(data, rules=rules)
    types = _in_code_order(data[type_column])
    # A national rule set may add a class of its own after the UN types (linked victims).
    own_classes = (
        isinstance(types.dtype, pd.CategoricalDtype)
        and len(types.cat.categories) > len(C.FEMICIDE_TYPES)
        and tuple(types.cat.categories[: len(C.FEMICIDE_TYPES)]) == C.FEMICIDE_TYPES
    )
    if not own_classes and not C.FEMICIDE_TYPE.is_dtype_of(types):
        raise BreakdownError(f"{type_column!r} is not a femicide type column; classify first")
    if not one_pass_tried and not own_classes:
        cube = _count_in_one_pass(
            data, by, type_column, age_groups, male_comparator, rules, types=types
        )
        if cube is not None:
            return cube
    n_types = len(types.cat.categories)
    cell, encoded = group_cells(data, by, age_groups=age_groups, extra_cells=n_types)
    shape = [len(e.levels) for e in encoded]
    cell *= n_types
    cell += types.cat.codes.to_numpy()
    n_groups = int(np.prod(shape, dtype=np.int64))
    table = np.bincount(cell, minlength=n_groups * n_types).reshape(n_groups, n_types)
    if male_comparator:
        needed = [c for c in ("victim_sex", "relationship") if c not in data.columns]
        if needed:
            raise BreakdownError(
                f"the male comparator counts male victims by sex and relationship, and the "
                f"data has {type_column!r} but not {needed}: count the validated frame the "
                "types were computed from, which holds them"
            )
        male_homicide = homicide_of(data, "male")
        group = _GROUP_OF_RELATIONSHIP[data["relationship"].cat.codes.to_numpy()]
        partner_or_family = male_homicide & np.isin(
            group, [C.RELATIONSHIP_GROUP.code_of(g) for g in C.PARTNER_OR_FAMILY]
        )
        group_cell = cell // n_types
        extra = np.stack(
            [
                np.bincount(group_cell[partner_or_family], minlength=n_groups),
                np.bincount(group_cell[male_homicide], minlength=n_groups),
            ],
            axis=1,
        )
        table = np.concatenate([table, extra], axis=1)
    if own_classes:
        dtype = pd.CategoricalDtype(
            [*types.cat.categories, *(COMPARATOR_CLASSES if male_comparator else ())]
        )
        all_encoded = [
            *encoded,
            _Encoded(type_column, np.empty(0, np.int8), _levels_of(dtype, type_column)),
        ]
        return frame_from_levels(all_encoded, table.ravel())
    return _cube_frame(encoded, table, type_column, male_comparator)


def _cube_frame(
    encoded: Sequence[_Encoded], table: np.ndarray, type_column: str, male_comparator: bool
) -> pd.DataFrame:
    """The cube from the counts of each (group, type), groups in mixed-radix order."""
    dtype = _TYPES_WITH_COMPARATOR if male_comparator else C.FEMICIDE_TYPE.dtype
    type_levels = _levels_of(dtype, type_column)
    all_encoded = [*encoded, _Encoded(type_column, np.empty(0, dtype=np.int8), type_levels)]
    return frame_from_levels(all_encoded, table.ravel())


# --------------------------------------------------------------------------------------
# The one-pass path (femstat._kernel): breakdown columns are read block by block through
# small look-up tables instead of being encoded up front, so no full-size code array is
# made; free columns are counted over every level they could hold and the levels no
# record has are dropped afterwards, which gives exactly the levels _encode_present finds.


@dataclass(frozen=True)
class _Lazy:
    """A breakdown column as the kernel reads it, and the levels of its cells."""

    name: str
    dim: _kernel.Dimension
    levels: pd.Series
    present_only: bool = False  # drop levels without records after counting
    categories_present: bool = False  # and make the kept levels the categories


def _encode_lazy(name: str, df: pd.DataFrame, scheme: AgeScheme) -> _Lazy:
    """Like :func:`_encode`, same levels and errors, without full-size arrays."""
    if name == "age_group" and name not in df.columns:
        ages = df["victim_age"]
        if isinstance(ages.array, pd.arrays.IntegerArray) and ages.array.dtype.itemsize <= 2:
            values, missing = masked_parts(ages)
            low, lut = _age_table(scheme, values.dtype)
            dim = _kernel.Dimension(
                values, lut, len(scheme.labels), low, missing, len(scheme.labels) - 1
            )
            return _Lazy(name, dim, _levels_of(scheme.dtype, name))
    elif name == "relationship_group" and name not in df.columns:
        rel = _in_code_order(df["relationship"])
        if C.RELATIONSHIP.is_dtype_of(rel):
            dim = _kernel.Dimension(
                rel.array.codes, _GROUP_OF_RELATIONSHIP, len(C.RELATIONSHIP_GROUP)
            )
            return _Lazy(name, dim, _levels_of(C.RELATIONSHIP_GROUP.dtype, name))
    elif name in df.columns:
        series = _in_code_order(df[name])
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes = series.array.codes  # a read-only view, no copy
            if _kernel.scan(codes)[1] < 0:
                _missing_error(name, int((codes < 0).sum()))
            n = len(series.cat.categories)
            if is_declared(series.dtype):
                identity = np.arange(n, dtype=np.int64)
                dim = _kernel.Dimension(codes, identity, n, nonnegative=True)
                return _Lazy(name, dim, _levels_of(series.dtype, name))
            categories = series.cat.categories
            order, rank = _text_order(categories)
            levels = pd.Series(categories[order], name=name)
            dim = _kernel.Dimension(codes, rank, n, nonnegative=True)
            return _Lazy(name, dim, levels, True, True)
        if series.dtype == "boolean":
            values, missing = masked_parts(series)
            yes_no = np.array([1, 0], dtype=np.int64)  # False -> "no" (1), True -> "yes" (0)
            dim = _kernel.Dimension(values, yes_no, 3, 0, missing, 2, nonnegative=True)
            return _Lazy(name, dim, _levels_of(_BOOLEAN_LEVELS, name))
        lazy = _integer_lazy(name, series)
        if lazy is not None:
            return lazy
    encoded = _encode(name, df, scheme)  # errors, and what has no lazy form
    identity = np.arange(len(encoded.levels), dtype=np.int64)
    dim = _kernel.Dimension(encoded.codes, identity, len(identity), nonnegative=True)
    return _Lazy(name, dim, encoded.levels)


def _integer_lazy(name: str, series: pd.Series) -> _Lazy | None:
    """Integers of a small range (years): counted over min..max, absent values dropped."""
    if isinstance(series.array, pd.arrays.IntegerArray):
        values, missing = masked_parts(series)
        n_missing, low, high = _kernel.scan(values, missing)
        if n_missing:
            _missing_error(name, n_missing)
    elif series.dtype.kind in "iu":
        values = series.to_numpy()
        _, low, high = _kernel.scan(values)
    else:
        return None
    if high - low >= _MAX_SPAN:
        return None
    span = np.arange(high - low + 1, dtype=np.int64)
    levels = pd.Series(span + low, name=name).astype(series.dtype)
    dim = _kernel.Dimension(values, span, len(span), low, nonnegative=True)
    return _Lazy(name, dim, levels, True)


@lru_cache(maxsize=16)
def _age_table(scheme: AgeScheme, dtype: np.dtype) -> tuple[int, np.ndarray]:
    """The scheme's group code of every value of a 1- or 2-byte integer dtype."""
    info = np.iinfo(dtype)
    every = np.arange(info.min, info.max + 1, dtype=np.int64).astype(dtype)
    codes = scheme.codes(pd.arrays.IntegerArray(every, np.zeros(len(every), dtype=bool)))
    codes = codes.astype(np.int64)
    codes.flags.writeable = False
    return int(info.min), codes


def _count_in_one_pass(
    data: pd.DataFrame,
    by: Sequence[str],
    type_column: str,
    age_groups: str | AgeScheme | Sequence[int],
    male_comparator: bool,
    rules: RuleSet,
    *,
    types: pd.Series | None = None,
) -> pd.DataFrame | None:
    """:func:`femstat.counts` through the kernel; None where only the general path applies."""
    if len(data) == 0:
        return None
    type_codes: np.ndarray | None = None
    inputs: _kernel.RuleInputs | None = None
    if types is None:
        inputs = rule_inputs(data, rules)  # classify's checks and errors
    else:
        type_codes = types.array.codes
        if type_codes.min() < 0:
            return None
        if male_comparator:
            if not is_canonical(data) or (
                "iccs_code" in data.columns
                and not isinstance(data["iccs_code"].dtype, pd.CategoricalDtype)
            ):
                return None
            inputs = rule_inputs(data, rules, criteria=False)
    if len(set(by)) != len(by):
        raise BreakdownError(f"a breakdown column is repeated: {list(by)}")
    scheme = age_scheme(age_groups)
    lazy = [_encode_lazy(name, data, scheme) for name in by]
    sizes = [len(x.levels) for x in lazy]
    n_types = len(C.FEMICIDE_TYPES)
    if int(np.prod([*sizes, n_types], dtype=np.int64)) > _MAX_CELLS:
        return None  # counted over absent levels too: let the general path decide
    table = _kernel.count_cells(
        [x.dim for x in lazy],
        len(data),
        rules=inputs,
        types=type_codes,
        comparator=male_comparator,
    )
    cube = table.reshape([*sizes, table.shape[1]])
    encoded = []
    for axis, x in enumerate(lazy):
        levels = x.levels
        if x.present_only:
            others = tuple(a for a in range(cube.ndim) if a != axis)
            kept = np.flatnonzero(cube.sum(axis=others) > 0)
            cube = cube.take(kept, axis=axis)
            levels = levels.iloc[kept].reset_index(drop=True)
            if x.categories_present:
                levels = pd.Series(
                    pd.Categorical(levels.to_numpy(), categories=levels.to_numpy()), name=x.name
                )
        encoded.append(_Encoded(x.name, np.empty(0, dtype=np.int8), levels))
    return _cube_frame(encoded, cube.reshape(-1, table.shape[1]), type_column, male_comparator)


def _describe(value: object) -> str:
    return "not recorded" if value is None else repr(value)


def _check_same_making(cubes: Sequence[pd.DataFrame], keys: list[str]) -> dict[str, Any] | None:
    """Refuse cubes made differently; the provenance the sum carries (None if none has)."""
    records = [cube_provenance(c) for c in cubes]
    first = records[0]
    for i, (cube, record) in enumerate(zip(cubes, records, strict=True)):
        if i == 0:
            continue
        # Code columns (types, age groups, code lists) must have the same levels: this
        # holds cubes with and without provenance to the same cells.
        for name in keys:
            a, b = cubes[0][name].dtype, cube[name].dtype
            if (is_declared(a) or is_declared(b)) and a != b:
                raise CubeMismatchError(
                    f"cube 1 and cube {i + 1} have different levels in column {name!r}: "
                    f"{_levels_text(a)} and {_levels_text(b)}. They were made with different "
                    "settings (age scheme, male comparator, code list); count every part "
                    "with the same options."
                )
        if (first is None) != (record is None):
            without = 1 if first is None else i + 1
            raise CubeMismatchError(
                f"cube {without} carries no record of how it was made (cube.attrs"
                f"[{PROVENANCE!r}]), the other does, so femstat cannot check that they were "
                "counted alike. Make every part with femstat.counts; for a cube made by hand "
                "or read from a file, see femstat.counts.cube_provenance."
            )
        if first is None or record is None:
            continue
        differ = [k for k in sorted(set(first) | set(record)) if first.get(k) != record.get(k)]
        if differ:
            details = "; ".join(
                f"{k}: {_describe(first.get(k))} and {_describe(record.get(k))}" for k in differ
            )
            raise CubeMismatchError(
                f"cube 1 and cube {i + 1} were made differently ({details}). Adding them "
                "would mix incompatible cells; count every part with the same breakdown, "
                "age scheme, male comparator and rule set."
            )
    return first


def _levels_text(dtype: object) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        shown = [str(c) for c in dtype.categories[:8]]
        more = len(dtype.categories) - len(shown)
        return f"{shown}{f' and {more} more' if more > 0 else ''}"
    return str(dtype)


def add_cubes(*cubes: pd.DataFrame) -> pd.DataFrame:
    """Add count cubes of disjoint parts of the data into the cube of the whole.

    The cubes must have been made alike: the same breakdown, the same levels in every
    code column (age groups, types), and, when they carry a provenance record
    (:func:`cube_provenance`, set by :func:`femstat.counts`), the same record: age scheme, male
    comparator, type classes and rule set. Levels of free columns (``year``, ``area``)
    are the union of the parts'; the result is complete again, with zeros where no part
    had a record.

    Returns
    -------
    pandas.DataFrame
        The summed cube, equal to :func:`femstat.counts` of the concatenated data, with the
        parts' provenance record.

    Raises
    ------
    CubeMismatchError
        When the cubes were made differently, or some carry a provenance record and
        others do not. Cubes without any record (made by hand, or read back from a file)
        are added when their columns and code levels match; to add such a cube to one
        from :func:`femstat.counts`, give it the same record after checking it was made the same
        way (``cube.attrs.update(other.attrs)``), or drop the record from all of them.
    """
    if not cubes:
        raise ValueError("add_cubes needs at least one cube")
    keys = cube_keys(cubes[0])
    for cube in cubes[1:]:
        if cube_keys(cube) != keys:
            raise BreakdownError(f"cubes have different breakdowns: {keys} and {cube_keys(cube)}")
    provenance = _check_same_making(cubes, keys)
    stacked = pd.concat(cubes, ignore_index=True)
    encoded = []
    for name in keys:
        column = stacked[name]
        if is_declared(column.dtype):
            encoded.append(
                _Encoded(
                    name,
                    column.cat.codes.to_numpy(),
                    _levels_of(column.dtype, name),
                )
            )
        else:
            part = _encode_present(name, column)
            if all(isinstance(c[name].dtype, pd.CategoricalDtype) for c in cubes):
                # concat turned differing categoricals into strings; keep the cube's dtype
                levels = pd.Categorical(part.levels, categories=part.levels.to_numpy())
                part = _Encoded(name, part.codes, pd.Series(levels, name=name))
            encoded.append(part)
    shape = [len(e.levels) for e in encoded]
    cell = _cell_numbers(encoded, shape, len(stacked))
    total = np.bincount(
        cell,
        weights=stacked["count"].to_numpy(dtype=np.float64),
        minlength=int(np.prod(shape, dtype=np.int64)),
    )
    out = frame_from_levels(encoded, np.rint(total))
    if provenance is not None:
        out.attrs = {PROVENANCE: provenance}
    return out


# --------------------------------------------------------------------------------------
# Completeness: the counts its shares are made of, as a cube that adds up like a count
# cube, and the shares taken once from the cube of the whole.


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


def completeness_cube(
    data: pd.DataFrame,
    by: Sequence[str],
    *,
    rules: RuleSet = UN_2022,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
) -> pd.DataFrame:
    """The counts behind :func:`femstat.completeness`, as a complete cube.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``measure`` (ordered Categorical, see :func:`_measures`) and
        ``count`` (int64): one row per group and measure, groups in the order
        :func:`femstat.completeness` gives them and measures varying fastest. Cubes of disjoint
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
    return frame_from_levels([*encoded, measure], table.ravel())


def shares(cube: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The completeness table from its count cube (:func:`completeness_cube`)."""
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


# --------------------------------------------------------------------------------------
# Parts (a batch, a chunk, a partition): each counted into plain data, then added up.

_MAX_FAILURE_CASES = 100
_SHOWN_CASES = 20
_ALWAYS_READ = ("victim_sex", "victim_age", "relationship", "iccs_code")
"""What validation requires and classification reads, besides the year and criteria."""


# --------------------------------------------------------------------------------------
# One part: validate, classify, count. Runs where the part is (a Dask worker, say), so it
# returns plain data, never raises a ValidationError whose row positions it cannot place.


@dataclass(frozen=True)
class Options:
    """How every part of one data set is counted (it travels to Dask workers)."""

    by: tuple[str, ...] | None  # None: validate only
    type_column: str
    age_groups: str | AgeScheme | tuple[int, ...]
    male_comparator: bool
    rules: RuleSet
    mapping: SourceMapping | None
    check_unique_ids: bool
    cube: Literal["counts", "completeness"] = "counts"  # what each part is counted into


@dataclass(frozen=True)
class Failure:
    """A part's ValidationError as plain data (it travels back from Dask workers)."""

    cases: pd.DataFrame  # rows are positions within the part
    hint: str | None
    truncated: bool


@dataclass
class PartCounts:
    """What one part contributes: its cube, its id keys and what validation said."""

    n_rows: int
    cube: pd.DataFrame | None = None
    ids: np.ndarray | None = None
    ids_exact: bool = True
    report: ValidationReport | None = None
    failure: Failure | None = None
    meta: pd.DataFrame | None = None  # zero-row frame of the validated part


def count_part(
    frame: pd.DataFrame,
    options: Options,
    validated: tuple[pd.DataFrame, ValidationReport] | None = None,
) -> PartCounts:
    """Validate (unless classified or ``validated``), classify and count one part.

    ``validated`` is the part as the fast reader validated it
    (:mod:`femstat.sources.arrow_counts`). A ValidationError becomes a :class:`Failure`
    with positions within the part, which :meth:`PartsAccumulator.add_counts` shifts to
    positions in the whole data set.
    """
    if len(frame) == 0:
        return PartCounts(0)  # validate refuses empty tables; emptiness is a whole-data check
    report: ValidationReport | None = None
    try:
        if options.by is not None and options.type_column in frame.columns:
            clean = frame  # already classified, as fs.counts trusts it
        elif validated is not None:
            clean, report = validated  # by the fast reader (femstat.sources.arrow_counts)
        else:
            clean, report = validate(frame, mapping=options.mapping, report=True)
        cube = None
        if options.by is not None and options.cube == "completeness":
            cube = completeness_cube(
                clean, list(options.by), rules=options.rules, age_groups=options.age_groups
            )
        elif options.by is not None:
            cube = count_frame(
                clean,
                list(options.by),
                type_column=options.type_column,
                age_groups=options.age_groups,
                male_comparator=options.male_comparator,
                rules=options.rules,
            )
    except ValidationError as exc:
        failure = Failure(exc.failure_cases, exc.hint, exc.truncated)
        return PartCounts(len(frame), failure=failure)
    part = PartCounts(len(frame), cube=cube, report=report, meta=clean.iloc[:0])
    if options.check_unique_ids and "victim_id" in clean.columns:
        part.ids, part.ids_exact = _id_keys(clean["victim_id"])
    return part


def _id_keys(ids: pd.Series) -> tuple[np.ndarray, bool]:
    """Compact keys of victim ids: the ids themselves when integral, else 64-bit hashes.

    Returns
    -------
    keys : numpy.ndarray
        ``int64`` ids, or ``uint64`` hashes (:func:`pandas.util.hash_array`), one per row.
    exact : bool
        Whether equal keys mean equal ids. Hashes can collide, so duplicate hashes are
        confirmed against the ids themselves before anything is reported.
    """
    dtype = ids.dtype
    if pd.api.types.is_integer_dtype(dtype) and not ids.hasnans:
        huge = pd.api.types.is_unsigned_integer_dtype(dtype) and len(ids) and ids.max() > 2**62
        if not huge:
            return ids.to_numpy(dtype=np.int64), True
    if pd.api.types.is_float_dtype(dtype):
        values = ids.to_numpy(dtype=np.float64, na_value=np.nan)
        # SPSS and Stata store every number as a float: whole-number ids are exact.
        whole = np.isfinite(values).all() and (values == np.floor(values)).all()
        if whole and (len(values) == 0 or np.abs(values).max() < 2**53):
            return values.astype(np.int64), True
    return _hash(np.asarray(ids.to_numpy(dtype=object))), False


def _hash(values: np.ndarray) -> np.ndarray:
    # Not categorised first: that pays off for repeated values, and ids are nearly all
    # distinct (1 million text ids: 0.21 s against 0.92 s; the hashes are the same).
    return np.asarray(pd.util.hash_array(values, categorize=False), dtype=np.uint64)


# --------------------------------------------------------------------------------------
# Whole-data checks on the merged key set


class _IdIndex:
    """The victim ids of every part, in row order, as compact keys.

    Memory: 8 bytes per row while parts arrive; about 16 bytes per row while
    :meth:`duplicates` sorts them.
    """

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.exact = True

    def add(self, keys: np.ndarray, exact: bool) -> None:
        if not exact and self.exact and self.parts:
            # Mixed id types across parts (rare): compare everything by hash, as text.
            self.parts = [_hash(p.astype(object)) for p in self.parts]
        if exact and not self.exact:
            keys, exact = _hash(keys.astype(object)), False
        self.exact = self.exact and exact
        self.parts.append(keys)

    def duplicates(self, cap: int) -> tuple[int, np.ndarray, np.ndarray]:
        """Repeated keys: how many, and the rows (global positions, ascending) and keys of
        the first ``cap`` of them in order of first appearance."""
        empty = np.empty(0, dtype=np.int64)
        if not self.parts:
            return 0, empty, empty
        merged = np.concatenate(self.parts)
        merged.sort()
        repeated = np.unique(merged[1:][merged[1:] == merged[:-1]])
        del merged
        if len(repeated) == 0:
            return 0, empty, empty
        positions, keys, offset = [], [], 0
        for part in self.parts:
            hit = np.flatnonzero(np.isin(part, repeated))
            positions.append(hit + offset)
            keys.append(part[hit])
            offset += len(part)
        at = np.concatenate(positions)
        key_at = np.concatenate(keys)
        chosen = pd.unique(key_at)[:cap]
        keep = np.isin(key_at, chosen)
        return len(repeated), at[keep], key_at[keep]


def _duplicate_cases(
    index: _IdIndex,
    values_at: Callable[[np.ndarray], np.ndarray] | None,
) -> tuple[int, list[dict[str, Any]]]:
    """Failure cases for repeated ids, and how many ids repeat."""
    n_repeated, positions, keys = index.duplicates(_MAX_FAILURE_CASES)
    if n_repeated == 0:
        return 0, []
    confirm = not index.exact and values_at is not None
    if index.exact:
        values: np.ndarray = keys
    elif confirm:
        assert values_at is not None
        values = np.asarray(values_at(positions), dtype=object)
    else:
        values = np.full(len(keys), None, dtype=object)  # hashes only, unconfirmed
    cases: list[dict[str, Any]] = []
    collisions = 0
    for _, where in pd.Series(np.arange(len(keys))).groupby(keys, sort=False):
        rows, shown = positions[where.to_numpy()], values[where.to_numpy()]
        groups = [(shown[0], rows)]
        if confirm:
            # Equal hashes but unequal ids are a collision, not a duplicate.
            by_value: dict[Any, list[int]] = {}
            for value, row in zip(shown, rows, strict=True):
                if not pd.isna(value):
                    by_value.setdefault(value, []).append(int(row))
            groups = [(v, np.asarray(r)) for v, r in by_value.items()]
        found = [(v, r) for v, r in groups if len(r) > 1]
        collisions += not found
        for _, value_rows in found:
            # The ids were read back only to tell duplicates from hash collisions; an
            # identifier is never shown, the rows are.
            cases.append(
                {
                    "column": "victim_id",
                    "check": "unique",
                    "value": WITHHELD,
                    "n_rows": len(value_rows),
                    "rows": [int(r) for r in value_rows[:_SHOWN_ROWS]],
                }
            )
    return n_repeated - collisions, cases


def _plural(noun: str) -> str:
    return noun + ("es" if noun.endswith(("ch", "s")) else "s")


# --------------------------------------------------------------------------------------
# Adding parts up


@dataclass
class _Warnings:
    """Data-quality warnings of every part, merged by check."""

    rows: dict[tuple[str, str, str], list[Any]] = field(default_factory=dict)
    added: dict[str, None] = field(default_factory=dict)
    coerced: dict[str, None] = field(default_factory=dict)
    assumptions: dict[str, None] = field(default_factory=dict)

    def add(self, report: ValidationReport, offset: int) -> None:
        self.added.update(dict.fromkeys(report.added_columns))
        self.coerced.update(dict.fromkeys(report.coerced_columns))
        self.assumptions.update(dict.fromkeys(report.assumptions))
        for w in report.warnings.to_dict("records"):
            key = (str(w["check"]), str(w["column"]), str(w["detail"]))
            entry = self.rows.setdefault(key, [0, []])
            entry[0] += int(w["n_rows"])
            room = _SHOWN_ROWS - len(entry[1])
            entry[1].extend(int(r) + offset for r in list(w["rows"])[:room])

    def report(self, n_rows: int) -> ValidationReport:
        frame = pd.DataFrame(
            [
                {"check": c, "column": col, "n_rows": n, "rows": rows, "detail": d}
                for (c, col, d), (n, rows) in self.rows.items()
            ],
            columns=_WARNING_COLUMNS,
        )
        return ValidationReport(
            n_rows=n_rows,
            warnings=frame,
            added_columns=list(self.added),
            coerced_columns=list(self.coerced),
            assumptions=list(self.assumptions),
        )


def _add_two(running: pd.DataFrame, cube: pd.DataFrame) -> pd.DataFrame:
    """``add_cubes(running, cube)``, by plain addition when both have the same cells.

    Parts of one data set usually share every level (all years, all areas), and then the
    counts line up row for row: adding the arrays skips re-encoding the whole cube.
    """
    keys = [c for c in running.columns if c != "count"]
    same = (
        list(cube.columns) == list(running.columns)
        and len(cube) == len(running)
        and all(running[k].equals(cube[k]) for k in keys)
    )
    if not same:
        return add_cubes(running, cube)
    out = running.copy(deep=False)
    out["count"] = running["count"].to_numpy() + cube["count"].to_numpy()
    return out


def _error_text(
    cases: pd.DataFrame, header: str, hint: str, positions_are: str, truncated: bool = False
) -> str:
    lines = [f"{header}{' (list truncated)' if truncated else ''}"]
    lines.append(f"  (row positions are 0-based {positions_are})")
    lines += _case_lines(cases.iloc[:_SHOWN_CASES])
    if len(cases) > _SHOWN_CASES:
        lines.append(f"  - … and {len(cases) - _SHOWN_CASES} more in e.failure_cases")
    lines.append(hint)
    return "\n".join(lines)


class PartsAccumulator:
    """The running cube, id keys and data-quality warnings of consecutive parts.

    Parts are added in order (:meth:`add_counts`) as :func:`count_part` made them, here
    or on a Dask worker; :meth:`finish` runs the whole-data checks once. The engine of
    :class:`femstat.stream.CubeAccumulator` and of the Dask partitions
    (:mod:`femstat._dispatch`).
    """

    def __init__(self, options: Options, *, source: str, unit: str) -> None:
        self.options = options
        self._source = source
        self._unit = unit
        self._cube: pd.DataFrame | None = None
        self._ids = _IdIndex()
        self._warnings = _Warnings()
        self._n_rows = 0
        self._n_parts = 0

    @property
    def n_rows(self) -> int:
        """Rows added so far."""
        return self._n_rows

    def add_counts(self, part: PartCounts) -> None:
        """Add the next part; raises its ValidationError with rows of the whole data."""
        offset = self._n_rows
        self._n_parts += 1
        if part.failure is not None:
            raise self._shifted(part.failure, offset, part.n_rows)
        if part.report is not None:
            self._warnings.add(part.report, offset)
        if part.ids is not None:
            self._ids.add(part.ids, part.ids_exact)
        if part.cube is not None:
            self._cube = part.cube if self._cube is None else _add_two(self._cube, part.cube)
        self._n_rows += part.n_rows

    def _shifted(self, failure: Failure, offset: int, n_rows: int) -> ValidationError:
        cases = failure.cases
        shifted = cases.copy()
        shifted["rows"] = [[int(r) + offset for r in rows] for rows in cases["rows"]]
        hint = failure.hint or "What to do: see e.failure_cases for every case."
        # Dask numbers partitions from 0 (ddf.partitions[i]); people count batches from 1.
        number = self._n_parts - 1 if self._unit == "partition" else self._n_parts
        header = (
            f"femstat cannot use {self._unit} {number} of {self._source} "
            f"({n_rows:,} rows from row {offset:,}): {len(cases)} problem(s)"
        )
        text = _error_text(shifted, header, hint, f"in the whole {self._source}", failure.truncated)
        return ValidationError(text, shifted, hint=hint, truncated=failure.truncated)

    def finish(
        self,
        *,
        report: bool,
        values_at: Callable[[np.ndarray], np.ndarray] | None,
        stacklevel: int,
    ) -> Any:
        """:meth:`check_whole`, then the cube (and the report, or its one warning)."""
        merged = self.check_whole(values_at)
        if report:
            return self._cube, merged
        self.warn(merged, stacklevel=stacklevel + 1)
        return self._cube

    def check_whole(self, values_at: Callable[[np.ndarray], np.ndarray] | None) -> ValidationReport:
        """The checks that need every part; returns the merged validation report."""
        if self._n_rows == 0:
            validate(pd.DataFrame())  # raises the not_empty ValidationError
        self._check_ids(values_at)
        return self._warnings.report(self._n_rows)

    def warn(self, merged: ValidationReport, *, stacklevel: int) -> None:
        """The merged data-quality warnings as one warning, if there are any."""
        if merged.warnings.empty:
            return
        warnings.warn(
            f"femstat data-quality warnings ({self._source}, {self._n_rows:,} rows):\n"
            + "\n".join(
                f"  [{w['check']}] {w['n_rows']:,} rows: {w['detail']}"
                for w in merged.warnings.to_dict("records")
            )
            + "\nPass report=True for the row positions.",
            DataQualityWarning,
            stacklevel=stacklevel + 1,
        )

    def _check_ids(self, values_at: Callable[[np.ndarray], np.ndarray] | None) -> None:
        if not self.options.check_unique_ids:
            return
        n_repeated, cases = _duplicate_cases(self._ids, values_at)
        if not cases:
            return
        frame = pd.DataFrame(cases, columns=_FAILURE_COLUMNS)
        frame["value"] = pd.Series([c["value"] for c in cases], dtype=object)
        header = (
            f"femstat cannot use this victim table ({self._source}, {self._n_rows:,} rows in "
            f"{self._n_parts} {_plural(self._unit)}): {n_repeated:,} victim_id value(s) occur in "
            "more than one row"
        )
        hint = (
            "What to do: remove the repeated records (the same victim counted twice), or "
            "give each victim her own victim_id; see e.failure_cases for every case."
        )
        text = _error_text(
            frame,
            header,
            hint,
            f"in the whole {self._source}",
            truncated=n_repeated > len(cases),
        )
        raise ValidationError(text, frame)


def needed_columns(
    available: Sequence[str],
    by: Sequence[str],
    rules: RuleSet,
    check_unique_ids: bool,
) -> set[str]:
    """The femstat columns that validation, classification and the breakdown read."""
    needed = {*_ALWAYS_READ, *rules.criteria}
    needed.add("year" if "year" in available else "date")
    needed.update(by)  # derived ones (age_group, relationship_group) read what is above
    if check_unique_ids:
        needed.add("victim_id")
    return needed

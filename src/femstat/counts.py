"""Count cubes: the narrow waist between microdata and statistics.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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
    _homicide_of,
    _is_canonical,
    _rule_inputs,
    classify,
    rules_record,
)
from femstat.errors import FemstatError
from femstat.schemas import is_sensitive

__all__ = [
    "COMPARATOR_CLASSES",
    "PROVENANCE",
    "CubeMismatchError",
    "add_cubes",
    "counts",
    "cube_keys",
    "cube_provenance",
    "group_cells",
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
    """How a count cube was made, as :func:`counts` recorded it; None if not recorded.

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


def _is_declared(dtype: object) -> bool:
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
    if _is_declared(series.dtype):
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


def _frame_from_levels(encoded: Sequence[_Encoded], counts: np.ndarray) -> pd.DataFrame:
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


def counts(
    data: pd.DataFrame,
    by: Sequence[str] | str = (),
    *,
    type_column: str = "femicide_type",
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    male_comparator: bool = False,
    rules: RuleSet = UN_2022,
) -> pd.DataFrame:
    """Count victims by a breakdown and femicide type, with every empty cell as zero.

    Parameters
    ----------
    data : pandas.DataFrame
        Classified microdata (from :func:`femstat.classify`); raw or validated data is
        validated and classified with ``rules`` first.
    by : str or sequence of str
        Breakdown columns. ``"age_group"`` (when not a column) groups ``victim_age`` by
        ``age_groups``; ``"relationship_group"`` rolls ``relationship`` up to its group.
        Nullable boolean columns count as ``yes``/``no``/``unknown``.
    type_column : str, default ``"femicide_type"``
        The classification to count (another rule set's column, for instance).
    age_groups : scheme, default ``"unodc"``
        See :func:`femstat.ages.age_scheme`.
    male_comparator : bool, default False
        Also count male victims of intentional homicide (``male_homicide``) and those
        killed by an intimate partner or family member (``male_partner_or_family``), as
        extra levels of ``type_column``. They overlap ``out_of_scope``.

    Returns
    -------
    pandas.DataFrame
        The cube: one row per cell, columns ``by``, ``type_column`` and ``count`` (int64).
        Code columns keep their Categorical dtypes. ``cube.attrs`` records how it was made
        (:func:`cube_provenance`), which :func:`add_cubes` checks.

    Raises
    ------
    BreakdownError
        For a breakdown by an identifying column (``victim_id``, ``event_id``): a group
        per identifier would publish the records, not a statistic.
    """
    from femstat import dask as _dask  # does not import Dask itself

    check_breakdown([by] if isinstance(by, str) else list(by))
    if _dask.is_dask_frame(data):  # partition by partition, cubes added (femstat.dask)
        return _dask.counts(
            data,
            by,
            type_column=type_column,
            age_groups=age_groups,
            male_comparator=male_comparator,
            rules=rules,
        )
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
    """:func:`counts` without the checks and the provenance record."""
    one_pass_tried = False
    if type_column not in data.columns:
        if type_column == rules.type_column and len(data):
            if not _is_canonical(data):
                from femstat.validate import validate

                data = validate(data)
            cube = _count_in_one_pass(data, by, type_column, age_groups, male_comparator, rules)
            if cube is not None:
                return cube
            one_pass_tried = True  # too many possible cells: the general path decides
        data = classify(data, rules=rules)
    types = _in_code_order(data[type_column])
    if not C.FEMICIDE_TYPE.is_dtype_of(types):
        raise BreakdownError(f"{type_column!r} is not a femicide type column; classify first")
    if not one_pass_tried:
        cube = _count_in_one_pass(
            data, by, type_column, age_groups, male_comparator, rules, types=types
        )
        if cube is not None:
            return cube
    n_types = len(C.FEMICIDE_TYPES)
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
        male_homicide = _homicide_of(data, "male")
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
    return _cube_frame(encoded, table, type_column, male_comparator)


def _cube_frame(
    encoded: Sequence[_Encoded], table: np.ndarray, type_column: str, male_comparator: bool
) -> pd.DataFrame:
    """The cube from the counts of each (group, type), groups in mixed-radix order."""
    dtype = _TYPES_WITH_COMPARATOR if male_comparator else C.FEMICIDE_TYPE.dtype
    type_levels = _levels_of(dtype, type_column)
    all_encoded = [*encoded, _Encoded(type_column, np.empty(0, dtype=np.int8), type_levels)]
    return _frame_from_levels(all_encoded, table.ravel())


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
            if _is_declared(series.dtype):
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
    """:func:`counts` through the kernel; None where only the general path applies."""
    if len(data) == 0:
        return None
    type_codes: np.ndarray | None = None
    inputs: _kernel.RuleInputs | None = None
    if types is None:
        inputs = _rule_inputs(data, rules)  # classify's checks and errors
    else:
        type_codes = types.array.codes
        if type_codes.min() < 0:
            return None
        if male_comparator:
            if not _is_canonical(data) or (
                "iccs_code" in data.columns
                and not isinstance(data["iccs_code"].dtype, pd.CategoricalDtype)
            ):
                return None
            inputs = _rule_inputs(data, rules, criteria=False)
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
            if (_is_declared(a) or _is_declared(b)) and a != b:
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
    (:func:`cube_provenance`, set by :func:`counts`), the same record: age scheme, male
    comparator, type classes and rule set. Levels of free columns (``year``, ``area``)
    are the union of the parts'; the result is complete again, with zeros where no part
    had a record.

    Returns
    -------
    pandas.DataFrame
        The summed cube, equal to :func:`counts` of the concatenated data, with the
        parts' provenance record.

    Raises
    ------
    CubeMismatchError
        When the cubes were made differently, or some carry a provenance record and
        others do not. Cubes without any record (made by hand, or read back from a file)
        are added when their columns and code levels match; to add such a cube to one
        from :func:`counts`, give it the same record after checking it was made the same
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
        if _is_declared(column.dtype):
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
    out = _frame_from_levels(encoded, np.rint(total))
    if provenance is not None:
        out.attrs = {PROVENANCE: provenance}
    return out

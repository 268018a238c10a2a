"""Declarative mappings: a source's own coding, described as data, turned into femstat's.

A mapping says, for each source column, which femstat column it feeds and how its codes
translate. It is written as a TOML file (read with the standard library's :mod:`tomllib`),
a YAML file (when PyYAML is installed) or a plain dict, and it is applied with
:meth:`Mapping.apply`::

    [meta]
    name = "National police register, 2015-2023"

    [columns.sexo]                  # the source column
    to = "victim_sex"               # the femstat column it feeds
    codes = { "1" = "male", "2" = "female" }
    unknown = ["9"]                 # codes that mean "not known"

    [columns.edad]
    to = "victim_age"
    unknown = [999]
    ranges = [{ min = 0, max = 120 }]   # whole years pass through

The built-in readers (:mod:`femstat.sources.shr`, :mod:`femstat.sources.icd10`) run on the
same machinery, with their tables shipped as ``mappings/*.toml`` beside this module, so a
user's own mapping is as capable as theirs. The full file format is documented in
``docs/sources.md``.

A value that a column's table does not list is never turned into "unknown" on the quiet:
:meth:`Mapping.apply` raises :class:`femstat.ValidationError` naming the column, each
unmapped value, how many rows hold it and a few row positions.
"""

from __future__ import annotations

import copy
import math
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.errors import FemstatError, ValidationError, require
from femstat.schemas import perpetrator_variables, victim_variables

__all__ = [
    "BUILTIN_MAPPINGS",
    "ColumnMap",
    "Mapping",
    "MappingError",
    "Range",
    "Recoded",
    "builtin_mapping",
    "load_mapping",
]

Value: TypeAlias = str | int | bool | None
"""A femstat value a source code maps to (``None`` means unknown)."""

Kind = Literal["code", "integer", "boolean", "text"]
Direction = Literal["perpetrator_to_victim", "victim_to_perpetrator"]

BUILTIN_MAPPINGS: tuple[str, ...] = ("shr", "icd10")
"""Names of the mappings shipped with femstat (``femstat/sources/mappings/<name>.toml``)."""

_TOP_KEYS = frozenset({"meta", "columns", "reader"})
_SPEC_KEYS = frozenset(
    {
        "source",
        "to",
        "kind",
        "codes",
        "unknown",
        "ranges",
        "others",
        "direction",
        "prefix",
        "case_sensitive",
        "optional",
        "description",
    }
)
_RANGE_KEYS = frozenset({"min", "max", "value", "unknown", "offset"})
_SHOWN_ROWS = 5
_SHOWN_VALUES = 10
_SHOWN_VALUE_CHARS = 40
_MAX_FAILURE_CASES = 100
_FAILURE_COLUMNS = ["column", "check", "value", "n_rows", "rows"]
_INTEGER_TEXT = re.compile(r"[+-]?\d+(?:\.0*)?")
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class MappingError(FemstatError, ValueError):
    """A mapping file or dict that is itself invalid (not the data it is applied to)."""


class _MappingTypeError(FemstatError, TypeError):
    pass


class _Unmapped:
    """Marks a source value that the mapping does not cover."""

    _instance: _Unmapped | None = None

    def __new__(cls) -> _Unmapped:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unmapped>"


UNMAPPED = _Unmapped()
_MISSING = "\x00missing"  # normalised form of an empty cell; no real code contains NUL


# --------------------------------------------------------------------------------------
# What femstat knows about each target column


def _code_lists() -> dict[str, C.CodeList]:
    lists = [v for v in vars(C).values() if isinstance(v, C.CodeList)]
    out: dict[str, C.CodeList] = {}
    for variables in (victim_variables(), perpetrator_variables()):
        for name, var in variables.items():
            if var.kind == "code":
                out[name] = next(cl for cl in lists if cl.codes == var.codes)
    return out


_TARGET_CODE_LISTS = _code_lists()


def _target_kinds() -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for variables in (victim_variables(), perpetrator_variables()):
        for name, var in variables.items():
            if var.kind == "code":
                kinds[name] = "code"
            elif var.kind == "boolean":
                kinds[name] = "boolean"
            elif var.kind in ("integer", "year"):
                kinds[name] = "integer"
            else:
                kinds[name] = "text"
    return kinds


_TARGET_KINDS = _target_kinds()


# --------------------------------------------------------------------------------------
# Normalising source values


def _normalise(value: object, case_sensitive: bool) -> str:
    """The lookup form of a raw value: stripped text, integral floats as integers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return _MISSING
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return _MISSING
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    text = text.strip()
    if not text:
        return _MISSING
    return text if case_sensitive else text.casefold()


def _canonical_integer(text: str) -> str | None:
    """``"007"``, ``"7"`` and ``"7.0"`` are all ``"7"``; ``None`` if not an integer."""
    if _INTEGER_TEXT.fullmatch(text) is None:
        return None
    return str(int(text.split(".")[0]))


def _as_number(text: str) -> float | None:
    if _NUMBER_TEXT.fullmatch(text) is None:
        return None
    return float(text)


# --------------------------------------------------------------------------------------
# The specification objects


@dataclass(frozen=True)
class Range:
    """An inclusive range of source codes.

    Bounds are both numbers (compared with numeric source values) or both strings of the
    same length (compared as text with source values of that length, or with their first
    characters when the column is matched by ``prefix``, which suits ICD-10 categories).

    Parameters
    ----------
    min, max : int, float or str
        Inclusive bounds.
    value : str, int or bool, optional
        The femstat value of every code in the range. Omit it (with ``unknown`` false)
        to let whole numbers pass through unchanged, plus ``offset``: only for integer
        columns such as ages.
    unknown : bool, default False
        Every code in the range means "not known".
    offset : int, default 0
        Added to a passed-through number (e.g. ``-4000`` for ages coded ``4000 + years``).
    """

    min: int | float | str
    max: int | float | str
    value: Value = None
    unknown: bool = False
    offset: int = 0

    @property
    def passthrough(self) -> bool:
        """Whether numbers in the range pass through as themselves (plus ``offset``)."""
        return self.value is None and not self.unknown

    @property
    def textual(self) -> bool:
        """Whether the bounds are text (compared as strings) rather than numbers."""
        return isinstance(self.min, str)


@dataclass(frozen=True)
class Recoded:
    """The result of recoding one column.

    Attributes
    ----------
    values : pandas.Series
        The femstat values, in the input's order and index.
    unmapped : pandas.DataFrame
        One row per distinct unmapped source value: ``value``, ``n_rows`` and ``rows``
        (a few 0-based row positions). Empty when everything was mapped.
    """

    values: pd.Series
    unmapped: pd.DataFrame


@dataclass(frozen=True)
class ColumnMap:
    """How one source column becomes one femstat column.

    Parameters
    ----------
    name : str
        The entry's key in the mapping's ``[columns]`` table.
    source : str
        The source column read (defaults to ``name``).
    target : str
        The femstat column written.
    kind : {"code", "integer", "boolean", "text"}
        What the target holds; fixed by femstat's schema for femstat's own columns.
    codes : mapping of str to value
        Source code to femstat value (``None`` means unknown), as written.
    unknown : tuple of str
        Source codes that mean "not known".
    ranges : tuple of Range
        Ranges of source codes, tried in order after ``codes`` and ``unknown``.
    others : {"error", "unknown"}
        What a code outside the table means. ``"error"`` (the default) reports it;
        ``"unknown"`` is for hierarchical code spaces whose validity a reader has
        already checked.
    direction : {"perpetrator_to_victim", "victim_to_perpetrator"}
        For relationship columns: ``victim_to_perpetrator`` means the table says what the
        victim was to the perpetrator, and the result is inverted with
        :data:`femstat.codes.RELATIONSHIP_INVERSE`.
    prefix : bool
        Match the longest listed code that the value starts with (``Y871`` matches
        ``Y8710``); text ranges compare the value's first characters.
    case_sensitive : bool
        Compare codes with their case (the default folds case).
    optional : bool
        The source column may be absent; then the target is not produced.
    description : str
        Free text for the documentation.

    Notes
    -----
    Lookup order for a value: empty cell (unknown), ``codes``, ``unknown``, the longest
    listed prefix (with ``prefix``), ``ranges`` (first match), whole numbers for an
    integer column without pass-through ranges, ``others``. A column with neither
    ``codes`` nor ``ranges`` is a rename: its values pass through for
    :func:`femstat.validate` to coerce, and ``unknown`` only adds codes meaning unknown.
    """

    name: str
    source: str
    target: str
    kind: Kind
    codes: AbcMapping[str, Value] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()
    ranges: tuple[Range, ...] = ()
    others: Literal["error", "unknown"] = "error"
    direction: Direction = "perpetrator_to_victim"
    prefix: bool = False
    case_sensitive: bool = False
    optional: bool = False
    description: str = ""
    _exact: dict[str, Value] = field(init=False, repr=False, compare=False)
    _integers: dict[str, Value] = field(init=False, repr=False, compare=False)
    _unknown_value: Value = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "codes", MappingProxyType(dict(self.codes)))
        object.__setattr__(self, "unknown", tuple(str(u) for u in self.unknown))
        object.__setattr__(self, "ranges", tuple(self.ranges))
        where = f"[columns.{self.name}]"
        code_list = _TARGET_CODE_LISTS.get(self.target) if self.kind == "code" else None
        unknown_value: Value = code_list.unknown if code_list is not None else None
        object.__setattr__(self, "_unknown_value", unknown_value)
        if self.direction == "victim_to_perpetrator" and self.target != "relationship":
            raise MappingError(
                f"{where}: direction = 'victim_to_perpetrator' only applies to the "
                f"relationship column, not {self.target!r}"
            )
        for code, value in self.codes.items():
            self._check_value(value, f"{where} codes[{code!r}]")
        for rng in self.ranges:
            self._check_range(rng, where)
        exact: dict[str, Value] = {}
        integers: dict[str, Value] = {}
        entries: list[tuple[str, Value, bool]] = [
            (code, value, False) for code, value in self.codes.items()
        ]
        entries += [(code, None, True) for code in self.unknown]
        seen_as: dict[str, str] = {}
        for code, value, is_unknown in entries:
            key = _normalise(code, self.case_sensitive)
            if key == _MISSING:
                raise MappingError(
                    f"{where}: an empty code cannot be listed; empty cells already mean unknown"
                )
            resolved = self._unknown_value if is_unknown else self._resolve(value)
            for table, k in ((exact, key), (integers, _canonical_integer(key))):
                if k is None:
                    continue
                if k in table and table[k] != resolved:
                    raise MappingError(
                        f"{where}: codes {seen_as[k]!r} and {code!r} are the same code once "
                        "spaces, case and leading zeros are ignored, but map to different "
                        "values; keep one of them"
                    )
                table[k] = resolved
                seen_as.setdefault(k, code)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_integers", integers)

    @classmethod
    def from_dict(cls, name: str, body: AbcMapping[str, Any]) -> ColumnMap:
        """Build one entry from its dict form (the body of ``[columns.<name>]``)."""
        return _spec_from_dict(name, body)

    # -- checks at construction -------------------------------------------------------

    def _check_value(self, value: Value, where: str) -> None:
        if value is None:
            return
        if self.kind == "code":
            code_list = _TARGET_CODE_LISTS.get(self.target)
            allowed = code_list.codes if code_list is not None else ()
            if not isinstance(value, str) or value not in allowed:
                raise MappingError(
                    f"{where}: {value!r} is not a femstat code for {self.target!r}; "
                    f"use one of {list(allowed)}"
                )
        elif self.kind == "boolean":
            if not isinstance(value, bool):
                raise MappingError(f"{where}: {value!r} must be true or false")
        elif self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise MappingError(f"{where}: {value!r} must be a whole number")
        elif not isinstance(value, str):
            raise MappingError(
                f"{where}: {value!r} must be text (quote it: codes such as ICCS '0101' "
                "lose their leading zeros as numbers)"
            )

    def _check_range(self, rng: Range, where: str) -> None:
        numeric = all(
            isinstance(b, int | float) and not isinstance(b, bool) for b in (rng.min, rng.max)
        )
        textual = isinstance(rng.min, str) and isinstance(rng.max, str)
        if not (numeric or textual):
            raise MappingError(
                f"{where}: range bounds {rng.min!r}..{rng.max!r} must both be numbers or "
                "both be text"
            )
        if textual and len(str(rng.min)) != len(str(rng.max)):
            raise MappingError(
                f"{where}: text range bounds {rng.min!r}..{rng.max!r} must have the same length"
            )
        if rng.min > rng.max:  # type: ignore[operator]
            raise MappingError(f"{where}: range min {rng.min!r} is above max {rng.max!r}")
        if rng.unknown and rng.value is not None:
            raise MappingError(f"{where}: a range cannot have both a value and unknown = true")
        if rng.passthrough and (self.kind != "integer" or textual):
            raise MappingError(
                f"{where}: range {rng.min!r}..{rng.max!r} has no value; only numeric ranges "
                "of an integer column may pass numbers through (give value = ... or "
                "unknown = true)"
            )
        self._check_value(rng.value, f"{where} range {rng.min!r}..{rng.max!r}")

    def _resolve(self, value: Value) -> Value:
        if value is None:
            return self._unknown_value
        if self.direction == "victim_to_perpetrator" and isinstance(value, str):
            return C.RELATIONSHIP_INVERSE[value]
        return value

    # -- lookup -----------------------------------------------------------------------

    @property
    def is_rename(self) -> bool:
        """Whether the entry only renames (no ``codes`` or ``ranges`` table)."""
        return not self.codes and not self.ranges and self.others == "error"

    @property
    def unknown_value(self) -> Value:
        """What "not known" is written as in the target (a code, or ``None`` for NA)."""
        return self._unknown_value

    def lookup(self, values: Iterable[object]) -> list[object]:
        """Translate distinct source values one by one.

        Parameters
        ----------
        values : iterable
            Raw source values (typically the distinct values of a column).

        Returns
        -------
        list
            The femstat value of each (``None`` for NA), or :data:`UNMAPPED`. For a
            rename entry, values not listed under ``unknown`` are returned unchanged.
        """
        return [self._lookup_one(v) for v in values]

    def _lookup_one(self, raw: object) -> object:
        key = _normalise(raw, self.case_sensitive)
        if key == _MISSING:
            return self._unknown_value
        if key in self._exact:
            return self._exact[key]
        integer = _canonical_integer(key)
        if integer is not None and integer in self._integers:
            return self._integers[integer]
        if self.prefix:
            for end in range(len(key) - 1, 0, -1):
                if key[:end] in self._exact:
                    return self._exact[key[:end]]
        number = _as_number(key)
        has_passthrough = False
        for rng in self.ranges:
            if rng.textual:
                lo = _normalise(rng.min, self.case_sensitive)
                hi = _normalise(rng.max, self.case_sensitive)
                part = key[: len(lo)] if self.prefix else key
                if len(part) != len(lo) or not lo <= part <= hi:
                    continue
            else:
                has_passthrough = has_passthrough or rng.passthrough
                if number is None or not rng.min <= number <= rng.max:  # type: ignore[operator]
                    continue
                if rng.passthrough:
                    if not number.is_integer():
                        continue
                    return int(number) + rng.offset
            return self._unknown_value if rng.unknown else self._resolve(rng.value)
        if self.is_rename:
            return raw
        if (
            self.kind == "integer"
            and not has_passthrough
            and number is not None
            and number.is_integer()
        ):
            return int(number)
        if self.others == "unknown":
            return self._unknown_value
        return UNMAPPED

    def recode(self, values: pd.Series) -> Recoded:
        """Recode a whole column, working on its distinct values only.

        Parameters
        ----------
        values : pandas.Series
            The source column.

        Returns
        -------
        Recoded
            The femstat values (a Categorical of the code list for code columns,
            ``Int64`` for integers, ``boolean`` for booleans) and the unmapped values.
        """
        if isinstance(values.dtype, pd.CategoricalDtype):
            positions = values.cat.codes.to_numpy()
            uniques: Sequence[object] = list(values.cat.categories)
        else:
            positions, found = pd.factorize(values, use_na_sentinel=True)
            uniques = list(found)
        if self.is_rename and not self.unknown:
            return Recoded(values.rename(self.target), _empty_unmapped())
        translated = self.lookup(uniques)
        translated.append(self._unknown_value)  # position -1: missing cells
        bad = [k for k, v in enumerate(translated) if v is UNMAPPED]
        unmapped = _empty_unmapped()
        if bad:
            counts = np.bincount(positions[positions >= 0], minlength=len(uniques))
            unmapped = failure_frame(
                [
                    {
                        "value": uniques[k],
                        "n_rows": int(counts[k]),
                        "rows": np.flatnonzero(positions == k)[:_SHOWN_ROWS].tolist(),
                    }
                    for k in bad
                ],
                ["value", "n_rows", "rows"],
            )
            translated = [None if v is UNMAPPED else v for v in translated]
        out = _build(translated, positions, self, values.index)
        return Recoded(out, unmapped)

    def entries(self) -> list[dict[str, object]]:
        """Every decision of this entry as rows (see :meth:`Mapping.to_frame`)."""
        rows: list[dict[str, object]] = []

        def add(rule: str, code: str, written: Value, final: Value) -> None:
            rows.append(
                {
                    "entry": self.name,
                    "source": self.source,
                    "target": self.target,
                    "rule": rule,
                    "source_code": code,
                    "value": "<unknown>" if final is None else final,
                    "written_as": "<unknown>" if written is None else written,
                }
            )

        for code, value in self.codes.items():
            add("code", code, value, self._resolve(value))
        for code in self.unknown:
            add("unknown", code, None, self._unknown_value)
        for rng in self.ranges:
            span = f"{rng.min}..{rng.max}"
            if rng.passthrough:
                shown = "<the number>" if rng.offset == 0 else f"<the number {rng.offset:+d}>"
                add("range", span, shown, shown)
            elif rng.unknown:
                add("range", span, None, self._unknown_value)
            else:
                add("range", span, rng.value, self._resolve(rng.value))
        if self.others == "unknown":
            add("others", "<any other>", None, self._unknown_value)
        if self.kind == "integer" and not any(r.passthrough for r in self.ranges):
            add("whole numbers", "<any whole number>", "<the number>", "<the number>")
        if self.is_rename:
            add("rename", "<any other>", "<unchanged>", "<unchanged>")
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The entry as it would be written in a mapping file."""
        out: dict[str, Any] = {"to": self.target}
        if self.source != self.name:
            out["source"] = self.source
        if self.target not in _TARGET_KINDS and self.kind != "text":
            out["kind"] = self.kind
        if self.codes:
            out["codes"] = dict(self.codes)
        if self.unknown:
            out["unknown"] = list(self.unknown)
        if self.ranges:
            out["ranges"] = [_range_dict(r) for r in self.ranges]
        for key, default in (
            ("others", "error"),
            ("direction", "perpetrator_to_victim"),
            ("prefix", False),
            ("case_sensitive", False),
            ("optional", False),
            ("description", ""),
        ):
            if getattr(self, key) != default:
                out[key] = getattr(self, key)
        return out


def _range_dict(rng: Range) -> dict[str, Any]:
    out: dict[str, Any] = {"min": rng.min, "max": rng.max}
    if rng.value is not None:
        out["value"] = rng.value
    if rng.unknown:
        out["unknown"] = True
    if rng.offset:
        out["offset"] = rng.offset
    return out


def _empty_unmapped() -> pd.DataFrame:
    return pd.DataFrame({"value": [], "n_rows": [], "rows": []})


def _build(
    translated: list[Any], positions: np.ndarray, spec: ColumnMap, index: pd.Index
) -> pd.Series:
    """Take the per-distinct-value results back to rows, in the target's dtype."""
    if spec.kind == "code" and spec.target in _TARGET_CODE_LISTS and not spec.is_rename:
        code_list = _TARGET_CODE_LISTS[spec.target]
        table = np.array(
            [-1 if v is None else code_list.code_of(str(v)) for v in translated], dtype=np.int16
        )
        return pd.Series(
            pd.Categorical.from_codes(table[positions], dtype=code_list.dtype),
            index=index,
            name=spec.target,
        )
    if spec.kind == "integer" and not spec.is_rename:
        data = np.array([0 if v is None else int(v) for v in translated], dtype=np.int64)
        mask = np.array([v is None for v in translated], dtype=bool)
        return pd.Series(
            pd.arrays.IntegerArray(data[positions], mask[positions]), index=index, name=spec.target
        )
    if spec.kind == "boolean" and not spec.is_rename:
        data = np.array([bool(v) for v in translated], dtype=bool)
        mask = np.array([v is None for v in translated], dtype=bool)
        return pd.Series(
            pd.arrays.BooleanArray(data[positions], mask[positions]), index=index, name=spec.target
        )
    table_obj = np.empty(len(translated), dtype=object)
    table_obj[:] = translated
    return pd.Series(table_obj[positions], index=index, name=spec.target, dtype=object)


# --------------------------------------------------------------------------------------
# The mapping


@dataclass(frozen=True)
class Mapping:
    """A source coding: how each source column becomes a femstat column.

    Build one with :meth:`from_file`, :meth:`from_dict` or :func:`load_mapping`; apply it
    with :meth:`apply`. Every decision is data: :meth:`to_frame` lists them all.

    Parameters
    ----------
    columns : tuple of ColumnMap
        One entry per femstat column produced.
    meta : mapping
        Free-form description (name, source, version, ...).
    reader : mapping
        Settings that only a built-in reader uses (e.g. the SHR's exclusion table);
        ignored by :meth:`apply`.

    Examples
    --------
    >>> m = Mapping.from_dict(
    ...     {"columns": {"sexo": {"to": "victim_sex", "codes": {"1": "male", "2": "female"},
    ...                           "unknown": ["9"]}}}
    ... )
    >>> m.apply(pd.DataFrame({"sexo": ["2", "9", " 1"]}))["victim_sex"].tolist()
    ['female', 'unknown', 'male']
    """

    columns: tuple[ColumnMap, ...]
    meta: AbcMapping[str, Any] = field(default_factory=dict)
    reader: AbcMapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        # Deep copies: a caller editing its dict (or a to_dict() result) must not reach
        # into a mapping, least of all a cached built-in one.
        object.__setattr__(self, "meta", MappingProxyType(copy.deepcopy(dict(self.meta))))
        object.__setattr__(self, "reader", MappingProxyType(copy.deepcopy(dict(self.reader))))
        names = [c.name for c in self.columns]
        targets = [c.target for c in self.columns]
        for label, items in (("entry", names), ("target column", targets)):
            repeated = sorted({x for x in items if items.count(x) > 1})
            if repeated:
                raise MappingError(
                    f"mapping: {label}(s) {repeated} appear more than once; each femstat "
                    "column must be fed by exactly one entry"
                )

    # -- construction -----------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: AbcMapping[str, Any]) -> Mapping:
        """Build a mapping from its dict form.

        Two forms are accepted. The full form has a ``columns`` table (and optionally
        ``meta`` and ``reader``), exactly as in a mapping file. The short form maps
        column names directly to their code tables, for recoding in place::

            {"victim_sex": {"1": "male", "2": "female", "9": None}}

        where ``None`` means unknown; a string value renames
        (``{"sexo": "victim_sex"}``) and a dict with a ``to`` or ``codes`` key is a full
        column entry.

        Raises
        ------
        MappingError
            When the mapping itself is invalid: an unknown key, a femstat code that does
            not exist, two entries feeding one column, ...
        """
        if not isinstance(d, AbcMapping):
            raise _MappingTypeError(f"a mapping must be a dict, got {type(d).__name__}")
        if "columns" in d:
            unknown_keys = sorted(set(map(str, d)) - _TOP_KEYS)
            if unknown_keys:
                raise MappingError(
                    f"mapping: unknown top-level key(s) {unknown_keys}; a mapping file has "
                    f"only {sorted(_TOP_KEYS)}"
                )
            columns = d["columns"]
            if not isinstance(columns, AbcMapping):
                raise MappingError("mapping: 'columns' must be a table of column entries")
            specs = [_spec_from_dict(str(name), body) for name, body in columns.items()]
            meta = d.get("meta", {}) or {}
            reader = d.get("reader", {}) or {}
            if not isinstance(meta, AbcMapping) or not isinstance(reader, AbcMapping):
                raise MappingError("mapping: 'meta' and 'reader' must be tables")
            return cls(tuple(specs), meta, reader)
        specs = []
        for name, body in d.items():
            name = str(name)
            if isinstance(body, str):
                specs.append(_spec_from_dict(name, {"to": body}))
            elif isinstance(body, AbcMapping) and _looks_like_spec(body):
                specs.append(_spec_from_dict(name, body))
            elif isinstance(body, AbcMapping):
                specs.append(_spec_from_dict(name, {"to": name, "codes": dict(body)}))
            else:
                raise MappingError(
                    f"mapping: entry {name!r} must be a code table (dict), a column entry, "
                    f"or a column name to rename to; got {type(body).__name__}"
                )
        return cls(tuple(specs))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Mapping:
        """Read a mapping from a ``.toml``, ``.yaml`` or ``.yml`` file.

        YAML needs PyYAML (``pip install 'femstat[io]'``).
        """
        path = Path(path)
        suffix = path.suffix.lower()
        try:
            if suffix == ".toml":
                with path.open("rb") as fh:
                    data: Any = tomllib.load(fh)
            elif suffix in (".yaml", ".yml"):
                yaml: Any = require("yaml", "io")
                with path.open("rb") as fh:
                    data = yaml.safe_load(fh)
            else:
                raise MappingError(
                    f"mapping file {path.name!r}: unknown format {suffix!r}; "
                    "use .toml, .yaml or .yml"
                )
        except MappingError:
            raise
        except OSError:
            raise
        except Exception as exc:  # the parsers' own errors carry line and column
            raise MappingError(f"mapping file {path.name!r} cannot be parsed: {exc}") from exc
        if not isinstance(data, AbcMapping):
            raise MappingError(f"mapping file {path.name!r} must hold a table at top level")
        try:
            return cls.from_dict(data)
        except MappingError as exc:
            raise MappingError(f"mapping file {path.name!r}: {exc}") from exc

    # -- access -----------------------------------------------------------------------

    def __getitem__(self, name: str) -> ColumnMap:
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(f"mapping has no entry {name!r}; entries: {[c.name for c in self.columns]}")

    def __contains__(self, name: object) -> bool:
        return any(spec.name == name for spec in self.columns)

    @property
    def sources(self) -> tuple[str, ...]:
        """The source columns read, in entry order, without repeats."""
        return tuple(dict.fromkeys(c.source for c in self.columns))

    @property
    def targets(self) -> tuple[str, ...]:
        """The femstat columns written, in entry order."""
        return tuple(c.target for c in self.columns)

    def to_frame(self) -> pd.DataFrame:
        """Every mapping decision as a table.

        Returns
        -------
        pandas.DataFrame
            One row per decision: ``entry``, ``source``, ``target``, ``rule`` (code,
            unknown, range, others, whole numbers, rename), ``source_code``, ``value``
            (the femstat value, ``<unknown>`` for unknown) and ``written_as`` (the value
            as written in the mapping; differs from ``value`` only for relationships
            written in the victim-to-perpetrator direction).
        """
        rows = [row for spec in self.columns for row in spec.entries()]
        return pd.DataFrame(
            rows,
            columns=["entry", "source", "target", "rule", "source_code", "value", "written_as"],
        )

    def to_dict(self) -> dict[str, Any]:
        """The mapping in its full dict form (what a TOML or YAML file holds)."""
        out: dict[str, Any] = {}
        if self.meta:
            out["meta"] = copy.deepcopy(dict(self.meta))
        out["columns"] = {spec.name: spec.to_dict() for spec in self.columns}
        if self.reader:
            out["reader"] = copy.deepcopy(dict(self.reader))
        return out

    # -- application ------------------------------------------------------------------

    def apply(self, df: pd.DataFrame, *, require_columns: bool = True) -> pd.DataFrame:
        """Rename and recode ``df`` into femstat's column names and code spellings.

        Parameters
        ----------
        df : pandas.DataFrame
            Source data. Columns the mapping does not mention pass through unchanged.
        require_columns : bool, default True
            Raise when a source column of a non-optional entry is absent. ``False``
            treats every entry as optional (e.g. for a perpetrator table read with the
            victim table's mapping).

        Returns
        -------
        pandas.DataFrame
            A new frame: each source column replaced by the column(s) it feeds, at its
            position. Code columns come back as femstat codes, integers as ``Int64``,
            booleans as ``boolean``; :func:`femstat.validate` makes them canonical.

        Raises
        ------
        femstat.ValidationError
            When a source column is missing, a target column already exists in ``df``
            outside the mapping, or a value is not in its entry's table. Every problem
            is collected before raising; ``failure_cases`` lists them.
        """
        if not isinstance(df, pd.DataFrame):
            raise _MappingTypeError(f"Mapping.apply expects a DataFrame, got {type(df).__name__}")
        cases: list[dict[str, Any]] = []
        lines: list[str] = []
        present = [c for c in self.columns if c.source in df.columns]
        for spec in self.columns:
            if spec.source not in df.columns and require_columns and not spec.optional:
                cases.append(_case(spec.source, "column_present", None, len(df), []))
                lines.append(
                    f"  - column {spec.source!r} (entry [columns.{spec.name}]) is not in the data"
                )
        consumed = {c.source for c in present}
        produced = {c.target for c in present}
        for name in df.columns:
            if name in produced and name not in consumed:
                writer = next(c.name for c in present if c.target == name)
                cases.append(_case(str(name), "target column not already present", None, 0, []))
                lines.append(
                    f"  - column {name!r} is already in the data and the mapping also "
                    f"writes it (entry [columns.{writer}])"
                )
        new: dict[str, pd.Series] = {}
        for spec in present:
            result = spec.recode(df[spec.source])
            new[spec.target] = result.values
            for case in records(result.unmapped):
                if len(cases) >= _MAX_FAILURE_CASES:
                    break
                cases.append(
                    _case(
                        spec.source,
                        f"in mapping [columns.{spec.name}]",
                        case["value"],
                        case["n_rows"],
                        case["rows"],
                    )
                )
            if len(result.unmapped):
                lines.append(_unmapped_line(spec, result.unmapped))
        if cases:
            failure_cases = failure_frame(cases)
            title = f"mapping {self.meta['name']!r}" if self.meta.get("name") else "mapping"
            message = "\n".join(
                [
                    f"{title}: {len(lines)} problem(s) applying it to {len(df):,} rows:",
                    *lines,
                    _HINT,
                ]
            )
            raise ValidationError(message, failure_cases, hint=_HINT)
        out: dict[str, pd.Series] = {}
        by_source: dict[str, list[ColumnMap]] = {}
        for spec in present:
            by_source.setdefault(spec.source, []).append(spec)
        for name in df.columns:
            if name in by_source:
                for spec in by_source[name]:
                    out[spec.target] = new[spec.target]
            else:
                out[name] = df[name]
        return pd.DataFrame(out, index=df.index, copy=False)


_HINT = (
    "What to do: add each unmapped value to the mapping's [columns.X.codes] table (X is the "
    "entry named above), or list it under unknown in [columns.X] if it means 'not known'; "
    "see e.failure_cases for every case."
)


def failure_frame(
    cases: list[dict[str, Any]], columns: Sequence[str] = _FAILURE_COLUMNS
) -> pd.DataFrame:
    """A problem table; ``value`` stays an object column so that None is not NaN."""
    frame = pd.DataFrame(cases, columns=list(columns))
    if "value" in frame.columns:
        frame["value"] = pd.Series([c.get("value") for c in cases], index=frame.index, dtype=object)
    return frame


def _case(column: str, check: str, value: object, n_rows: int, rows: list[int]) -> dict[str, Any]:
    return {
        "column": column,
        "check": check,
        "value": value,
        "n_rows": int(n_rows),
        "rows": [int(r) for r in rows[:_SHOWN_ROWS]],
    }


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a small problem table as plain dicts."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_VALUE_CHARS else text[:_SHOWN_VALUE_CHARS] + "…"


def _unmapped_line(spec: ColumnMap, unmapped: pd.DataFrame) -> str:
    parts = []
    for case in records(unmapped.head(_SHOWN_VALUES)):
        rows = ", ".join(map(str, case["rows"]))
        more = ", …" if case["n_rows"] > len(case["rows"]) else ""
        parts.append(f"{_show(case['value'])} in {case['n_rows']:,} row(s) (rows {rows}{more})")
    extra = len(unmapped) - _SHOWN_VALUES
    tail = f"; and {extra} more value(s)" if extra > 0 else ""
    return (
        f"  - column {spec.source!r} (entry [columns.{spec.name}] -> {spec.target}): "
        f"value(s) not in the mapping: {'; '.join(parts)}{tail}"
    )


def _looks_like_spec(body: AbcMapping[Any, Any]) -> bool:
    keys = set(map(str, body))
    return bool(keys & {"to", "codes"}) and keys <= _SPEC_KEYS


def _spec_from_dict(name: str, body: Any) -> ColumnMap:
    where = f"[columns.{name}]"
    if not isinstance(body, AbcMapping):
        raise MappingError(f"{where} must be a table (to = ..., codes = {{...}}, ...)")
    unknown_keys = sorted(set(map(str, body)) - _SPEC_KEYS)
    if unknown_keys:
        raise MappingError(f"{where}: unknown key(s) {unknown_keys}; allowed: {sorted(_SPEC_KEYS)}")
    source = str(body.get("source", name))
    target = str(body.get("to", name))
    kind_given = body.get("kind")
    schema_kind = _TARGET_KINDS.get(target)
    kind: Kind
    if schema_kind is not None:
        if kind_given is not None and kind_given != schema_kind:
            raise MappingError(
                f"{where}: femstat's {target!r} is a {schema_kind} column, not {kind_given!r}"
            )
        kind = schema_kind
    elif kind_given is None:
        kind = "text"
    elif kind_given in ("code", "integer", "boolean", "text"):
        if kind_given == "code":
            raise MappingError(
                f"{where}: {target!r} is not a femstat code column; use kind = 'text' for "
                "a column of your own"
            )
        kind = kind_given
    else:
        raise MappingError(f"{where}: kind must be integer, boolean or text, not {kind_given!r}")
    codes = body.get("codes", {}) or {}
    if not isinstance(codes, AbcMapping):
        raise MappingError(f"{where}: codes must be a table of source code = femstat value")
    unknown = body.get("unknown", []) or []
    if isinstance(unknown, str | int | float):
        unknown = [unknown]
    if not isinstance(unknown, Sequence):
        raise MappingError(f"{where}: unknown must be a list of source codes")
    ranges_raw = body.get("ranges", []) or []
    if not isinstance(ranges_raw, Sequence) or isinstance(ranges_raw, str):
        raise MappingError(f"{where}: ranges must be a list of {{min, max, ...}} tables")
    ranges = tuple(_range_from_dict(r, where) for r in ranges_raw)
    others = body.get("others", "error")
    if others not in ("error", "unknown"):
        raise MappingError(f"{where}: others must be 'error' or 'unknown', not {others!r}")
    direction = body.get("direction", "perpetrator_to_victim")
    if direction not in ("perpetrator_to_victim", "victim_to_perpetrator"):
        raise MappingError(
            f"{where}: direction must be 'perpetrator_to_victim' or 'victim_to_perpetrator'"
        )
    flags = {}
    for key in ("prefix", "case_sensitive", "optional"):
        value = body.get(key, False)
        if not isinstance(value, bool):
            raise MappingError(f"{where}: {key} must be true or false")
        flags[key] = value
    return ColumnMap(
        name=name,
        source=source,
        target=target,
        kind=kind,
        codes={_code_key(k): v for k, v in codes.items()},
        unknown=tuple(_code_key(u) for u in unknown),
        ranges=ranges,
        others=others,
        direction=direction,
        description=str(body.get("description", "")),
        **flags,
    )


def _code_key(key: object) -> str:
    # YAML reads unquoted 1 and 1.0 as numbers; both mean the source code "1".
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _range_from_dict(raw: Any, where: str) -> Range:
    if not isinstance(raw, AbcMapping):
        raise MappingError(f"{where}: each range must be a table {{min = ..., max = ...}}")
    unknown_keys = sorted(set(map(str, raw)) - _RANGE_KEYS)
    if unknown_keys:
        raise MappingError(f"{where}: unknown range key(s) {unknown_keys}")
    if "min" not in raw or "max" not in raw:
        raise MappingError(f"{where}: a range needs both min and max")
    unknown = raw.get("unknown", False)
    if "value" in raw and raw["value"] is None:
        unknown = True  # YAML's null, like None in a dict, means unknown
    offset = raw.get("offset", 0)
    if not isinstance(unknown, bool) or isinstance(offset, bool) or not isinstance(offset, int):
        raise MappingError(f"{where}: range unknown must be true/false and offset an integer")
    return Range(
        min=raw["min"], max=raw["max"], value=raw.get("value"), unknown=unknown, offset=offset
    )


def load_mapping(obj: Mapping | str | os.PathLike[str] | AbcMapping[str, Any]) -> Mapping:
    """Turn what a user passes as ``mapping=`` into a :class:`Mapping`.

    Parameters
    ----------
    obj : Mapping, str, path or dict
        A mapping; a path to a ``.toml``, ``.yaml`` or ``.yml`` file; or the dict form
        (see :meth:`Mapping.from_dict`).

    Returns
    -------
    Mapping

    Raises
    ------
    MappingError
        When the mapping is invalid.
    TypeError
        When ``obj`` is none of the accepted types.
    """
    if isinstance(obj, Mapping):
        return obj
    if isinstance(obj, str | os.PathLike):
        return Mapping.from_file(obj)
    if isinstance(obj, AbcMapping):
        return Mapping.from_dict(obj)
    raise _MappingTypeError(
        "mapping must be a femstat Mapping, a path to a .toml/.yaml file or a dict, "
        f"not {type(obj).__name__}"
    )


@cache
def builtin_mapping(name: str) -> Mapping:
    """A mapping shipped with femstat, to read, adapt or pass to its reader.

    Parameters
    ----------
    name : {"shr", "icd10"}
        ``"shr"``: FBI Supplementary Homicide Reports; ``"icd10"``: ICD-10 causes of death.

    Returns
    -------
    Mapping
        Call ``.to_frame()`` on it to see every decision it makes.
    """
    if name not in BUILTIN_MAPPINGS:
        raise KeyError(f"no built-in mapping {name!r}; built-in: {list(BUILTIN_MAPPINGS)}")
    text = resources.files("femstat.sources").joinpath("mappings", f"{name}.toml").read_bytes()
    try:
        return Mapping.from_dict(tomllib.loads(text.decode("utf-8")))
    except MappingError as exc:  # pragma: no cover - guarded by the tests of each mapping
        raise MappingError(f"built-in mapping {name!r}: {exc}") from exc

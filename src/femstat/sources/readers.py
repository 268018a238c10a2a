"""Read common file formats into femstat's canonical victim table.

:func:`read` dispatches on the file's extension (CSV, Parquet, Excel, SPSS ``.sav``,
Stata ``.dta``; the FBI SHR with ``format="shr"``), applies a mapping and validates.
Optional dependencies (pyarrow, openpyxl, pyreadstat) are imported only when their format
is read, through :func:`femstat.errors.require` (extra ``io``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping as AbcMapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from femstat.errors import require
from femstat.sources.mapping import UNMAPPED, ColumnMap, Mapping, load_mapping

__all__ = ["FORMATS", "read", "read_raw"]

Format = Literal["csv", "tsv", "parquet", "excel", "spss", "stata", "shr"]
ValueLabels = Literal["auto", "labels", "codes"]

FORMATS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".sav": "spss",
    ".zsav": "spss",
    ".dta": "stata",
}
"""File extension to format; compressed CSV (``.csv.gz``, ``.csv.zip``, ...) is CSV."""

_COMPRESSION = (".gz", ".bz2", ".xz", ".zip", ".zst")

MappingLike = Mapping | str | os.PathLike[str] | AbcMapping[str, Any]


def _format_of(path: Path, given: str | None) -> Format:
    if given is not None:
        allowed = (*dict.fromkeys(FORMATS.values()), "shr")
        if given not in allowed:
            raise ValueError(f"format must be one of {list(allowed)}, not {given!r}")
        return given
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]]
    raise ValueError(
        f"cannot tell the format of {path.name!r} from its extension; known: "
        f"{sorted(FORMATS)}. What to do: pass format=... (e.g. format='shr' for an FBI SHR "
        "fixed-width file, format='csv')"
    )


def read_raw(
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    mapping: MappingLike | None = None,
    value_labels: ValueLabels = "auto",
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a file as it is, before any mapping or validation.

    CSV is read as text (``dtype=str`` unless given), so codes keep their leading zeros
    (``"01"``, ICCS ``"0101"``). SPSS and Stata value labels are applied as
    ``value_labels`` says; values declared missing in the file (SPSS user-defined
    missing values, Stata's ``.a``-``.z``) become NA, i.e. unknown.

    Parameters
    ----------
    path : str or path
        The file.
    format : str, optional
        One of :data:`FORMATS`' values; by default taken from the extension.
    mapping : Mapping, path or dict, optional
        Only consulted to choose between value labels and raw codes (see
        ``value_labels``); not applied.
    value_labels : {"auto", "labels", "codes"}, default "auto"
        For SPSS and Stata files. ``"labels"`` replaces every labelled value by its
        label, ``"codes"`` keeps the raw codes. ``"auto"`` decides per column: for a
        column the mapping recodes, whichever of labels or codes leaves fewer values
        unmapped (codes on a tie); for other columns, labels when every value has one.
    **kwargs
        Passed to the underlying reader (``pandas.read_csv``, ``pandas.read_parquet``,
        ``pandas.read_excel``, ``pyreadstat.read_sav``, ``pyreadstat.read_dta``).

    Returns
    -------
    pandas.DataFrame
    """
    path = Path(path)
    fmt = _format_of(path, format)
    if fmt in ("csv", "tsv"):
        kwargs.setdefault("dtype", str)
        if fmt == "tsv":
            kwargs.setdefault("sep", "\t")
        return pd.read_csv(path, **kwargs)
    if fmt == "parquet":
        require("pyarrow", "io")
        return pd.read_parquet(path, **kwargs)
    if fmt == "excel":
        require("openpyxl", "io")
        return pd.read_excel(path, **kwargs)
    if fmt in ("spss", "stata"):
        pyreadstat: Any = require("pyreadstat", "io")
        reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
        kwargs.setdefault("user_missing", False)  # declared missing values become NA
        df, meta = reader(str(path), apply_value_formats=False, **kwargs)
        labels = getattr(meta, "variable_value_labels", {}) or {}
        resolved = load_mapping(mapping) if mapping is not None else None
        return _apply_labels(df, labels, resolved, value_labels)
    if fmt == "shr":
        raise ValueError("read_raw does not read SHR files; use femstat.sources.read_shr")
    raise AssertionError(fmt)  # pragma: no cover


def _relabel(series: pd.Series, labels: AbcMapping[Any, str]) -> pd.Series:
    positions, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:] = [labels.get(u, u) for u in uniques] + [None]
    return pd.Series(table[positions], index=series.index, name=series.name, dtype=object)


def _n_unmapped(specs: list[ColumnMap], series: pd.Series) -> int:
    uniques = pd.unique(series.dropna())
    return sum(1 for spec in specs for v in spec.lookup(uniques) if v is UNMAPPED)


def _apply_labels(
    df: pd.DataFrame,
    labels: AbcMapping[str, AbcMapping[Any, str]],
    mapping: Mapping | None,
    mode: ValueLabels,
) -> pd.DataFrame:
    if mode not in ("auto", "labels", "codes"):
        raise ValueError(f"value_labels must be 'auto', 'labels' or 'codes', not {mode!r}")
    if mode == "codes":
        return df
    out = df.copy(deep=False)
    for column, table in labels.items():
        if column not in out.columns or not table:
            continue
        raw = out[column]
        labelled = _relabel(raw, table)
        if mode == "auto":
            specs = [
                s
                for s in (mapping.columns if mapping is not None else ())
                if s.source == column and not s.is_rename
            ]
            if specs:
                use = _n_unmapped(specs, labelled) < _n_unmapped(specs, raw)
            else:
                present = pd.unique(raw.dropna())
                use = all(v in table for v in present)
            if not use:
                continue
        out[column] = labelled
    return out


def read(
    path: str | os.PathLike[str],
    mapping: MappingLike | None = None,
    *,
    perpetrators: pd.DataFrame | str | os.PathLike[str] | None = None,
    format: Format | None = None,
    value_labels: ValueLabels = "auto",
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a victim file, apply a mapping and validate it.

    Parameters
    ----------
    path : str or path
        CSV (also compressed), Parquet, Excel, SPSS ``.sav``/``.zsav`` or Stata ``.dta``,
        told apart by extension; an FBI SHR fixed-width file with ``format="shr"``.
    mapping : Mapping, path or dict, optional
        The source's coding (see :mod:`femstat.sources.mapping`). For ``format="shr"``
        it replaces the built-in SHR mapping instead.
    perpetrators : DataFrame or path, optional
        A perpetrator table, one row per victim-perpetrator pair, folded in by
        :func:`femstat.validate`. A path is read like ``path`` and mapped with the
        same mapping, ignoring entries whose columns it lacks; a DataFrame is used as
        it is.
    format : str, optional
        Overrides the extension (see :data:`FORMATS`; ``"shr"`` for the SHR).
    value_labels : {"auto", "labels", "codes"}, default "auto"
        SPSS and Stata value labels (see :func:`read_raw`).
    **kwargs
        Passed to the underlying file reader.

    Returns
    -------
    pandas.DataFrame
        The validated victim table in canonical dtypes.

    Raises
    ------
    femstat.ValidationError
        When a value cannot be mapped or validated; the message names columns, values,
        counts and rows.
    femstat.MissingDependencyError
        When the format needs an optional package that is not installed.
    """
    from femstat.validate import validate

    fmt = _format_of(Path(path), format)
    if fmt == "shr":
        from femstat.sources.shr import read_shr

        if kwargs:
            raise TypeError(f"read(format='shr') takes no reader options, got {sorted(kwargs)}")
        victims = read_shr(path, mapping=mapping)
        resolved: Mapping | None = None
    else:
        resolved = load_mapping(mapping) if mapping is not None else None
        victims = read_raw(path, format=fmt, mapping=resolved, value_labels=value_labels, **kwargs)
        if resolved is not None:
            victims = resolved.apply(victims)
    perps: pd.DataFrame | None
    if perpetrators is None or isinstance(perpetrators, pd.DataFrame):
        perps = perpetrators
    else:
        perps = read_raw(perpetrators, mapping=resolved, value_labels=value_labels)
        if resolved is not None:
            perps = resolved.apply(perps, require_columns=False)
    return validate(victims, perpetrators=perps)

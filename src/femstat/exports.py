"""Write femstat tables to CSV, Excel, Parquet and SDMX-CSV, each with its metadata.

A number without its method is not a statistic: every file written here carries what
produced it — the femstat version, the rule set, the confidence level(s), the interval
methods and, for published tables, the suppression threshold. The metadata come from the
table's ``attrs["femstat"]`` (set by :func:`femstat.indicators` and friends) and
``attrs["suppression"]`` (set by :func:`femstat.suppress`), plus what the caller adds.

Where the metadata go:

========== ==================================================================
format     metadata
========== ==================================================================
CSV        a JSON sidecar next to the file: ``table.csv`` →
           ``table.metadata.json`` (the CSV itself stays plain, machine-readable)
Excel      a second sheet, ``metadata`` (``key``, ``value``; lists and dicts as
           JSON text); the data are on the first sheet, ``data``
Parquet    the file schema's key-value metadata, key ``femstat`` (JSON)
SDMX-CSV   attribute columns on every row (``CONF_LEVEL``, ``CI_METHOD``,
           ``RULE_SET``, ``FEMSTAT_VERSION``), as SDMX expects
UNODC      a JSON sidecar, as CSV (:mod:`femstat.unodc`: UNODC's data portal layout)
========== ==================================================================

:func:`read_metadata` reads the metadata of a CSV, Excel or Parquet file back.

Published tables
----------------
Every femstat table is published protected, by default: a count table by femicide type
not protected yet is protected with :func:`femstat.protect` (primary suppression of counts
from 1 to ``min_count - 1``, and the secondary cells that keep them from being worked out
by subtraction), any other table (bounds, completeness, standardised rates, trend) is
suppressed with :func:`femstat.suppress`, and a table suppressed before is suppressed
again, idempotently: a hidden cell is never written as a value, whatever was done to the
table in between. The threshold is the ``min_count`` argument, else the table's own, else
5; ``min_count=1`` publishes every count and the metadata say so. A count table is then
audited (:func:`femstat.audit_disclosure`) and refused (:class:`ExportError`) if an
attacker could narrow a hidden cell; the audit goes into the metadata (``protection``).

In CSV and Excel, the ``suppressed`` column says why a row is withheld: ``primary`` (a
small count), ``secondary`` (withheld to protect another) or empty (published); SDMX-CSV
marks them ``CONF_STATUS`` ``C`` and ``D``.

Text cells: formula injection
-----------------------------
A spreadsheet opens a text cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula: an area named ``=HYPERLINK(...)`` would become a
live link. As OWASP recommends for CSV injection, every text cell and column header
written to CSV, Excel and SDMX-CSV (including the classified microdata of
``femstat classify -o``, and the Excel ``metadata`` sheet) that begins with one of
``=``, ``+``, ``-``, ``@``, a tab or a carriage return, their full-width forms
``＝ ＋ － ＠``, or whitespace followed by one of these, gets a single quote ``'``
prefixed (:func:`neutralise_text`). Numbers stay numbers: numeric columns are written
unchanged, and so is a text cell that is a plain number (``-5``, ``+3.5``, ``1e-3``),
which no spreadsheet reads as a formula. A program reading such a CSV sees the quote;
strip one leading ``'`` to get the original text back. Parquet files are typed data that
spreadsheets do not open: their text is written unchanged. Excel cells are written as
strings, never as formulas; characters that Excel files cannot hold (control characters
other than tab, newline and carriage return) are replaced by ``\ufffd``.

SDMX-CSV
--------
:func:`to_sdmx_csv` writes SDMX-CSV version 2 style rows, one observation per row, with
SDG-style dimensions. Columns, in order: ``STRUCTURE`` (``dataflow``), ``STRUCTURE_ID``
(``AGENCY:ID(VERSION)``, default ``FEMSTAT:DF_FEMICIDE(1.0)``), ``ACTION`` (``I``, data
for information); the dimensions ``REF_AREA``, ``TIME_PERIOD``, ``SEX``, ``AGE``,
``FEMICIDE_TYPE`` (then any further breakdown column, upper-cased), ``UNIT_MEASURE``; the
measure ``OBS_VALUE``; the attributes ``OBS_STATUS``, ``LOWER_BOUND``, ``UPPER_BOUND``,
``CONF_STATUS``, ``CONF_LEVEL``, ``CI_METHOD``, ``RULE_SET``, ``FEMSTAT_VERSION``.

Codes used:

- ``REF_AREA``: the table's ``area`` values; without an ``area`` column, ``ref_area=``
  (an ISO 3166-1 alpha-3 or M49 code), else ``_T`` (the whole data set).
- ``TIME_PERIOD``: the ``year``; without a ``year`` column, ``time_period=`` is required.
- ``SEX`` (SDMX code list CL_SEX): ``F`` female; ``M`` for the male comparator row
  ``male_partner_or_family``.
- ``AGE`` (SDG style): ``_T`` all ages (no ``age_group`` column); bands ``Y0T9``,
  ``Y10T14``, ..., an open top band ``Y_GE60``; ``_U`` unknown age.
- ``FEMICIDE_TYPE``: femstat's row labels upper-cased (:data:`FEMICIDE_TYPE_CODES`):
  ``INTIMATE_PARTNER``, ``FAMILY_MEMBER``, ``PARTNER_OR_FAMILY_UNSPECIFIED`` (a partner or
  family member, not known which), ``OTHER_PERPETRATOR``, ``NOT_FEMICIDE``,
  ``UNDETERMINED``, ``FEMICIDE``, ``FEMALE_HOMICIDE``, ``PARTNER_OR_FAMILY`` (the male
  comparator is ``PARTNER_OR_FAMILY`` with ``SEX`` = ``M``). ``out_of_scope`` records are
  not an indicator of the framework and are left out.
- ``UNIT_MEASURE``: ``NUMBER`` (counts), ``PERCENT`` (shares of female — or, for ``SEX``
  ``M``, male — homicide victims), ``PER_100000_POP`` (rates per 100,000 of the sex's
  population; ``PER_<n>_POP`` for another ``per``).
- ``OBS_STATUS`` (SDMX code list CL_OBS_STATUS): ``A`` normal value; ``U`` low
  reliability (a share or rate from fewer than ``min_reliable`` events); ``Q`` missing
  value, suppressed (``OBS_VALUE`` empty); ``M`` missing value, cannot exist (a share
  with a zero denominator).
- ``CONF_STATUS`` (CL_CONF_STATUS): ``F`` free; ``C`` confidential, primary
  suppression (a small count, or a value derived from one); ``D`` secondary
  confidentiality, withheld so that a primary cell cannot be worked out
  (:func:`femstat.protect`). Readers of the report see ``[c]`` for both.
- ``LOWER_BOUND``, ``UPPER_BOUND``: the confidence interval at the first level
  (``CONF_LEVEL``); empty for counts, which are exact. Further levels stay in the CSV,
  Excel and Parquet exports.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from femstat.errors import FemstatError, require

__all__ = [
    "FEMICIDE_TYPE_CODES",
    "FORMATS",
    "SDMX_COLUMNS",
    "ExportError",
    "describe_methods",
    "export",
    "format_of",
    "metadata",
    "neutralise_text",
    "read_metadata",
    "sdmx_age_code",
    "sdmx_frame",
    "sidecar_path",
    "to_csv",
    "to_excel",
    "to_parquet",
    "to_sdmx_csv",
]

ExportFormat = Literal["csv", "excel", "parquet", "sdmx", "unodc"]

FORMATS: dict[str, ExportFormat] = {
    ".sdmx.csv": "sdmx",
    ".unodc.csv": "unodc",
    ".csv": "csv",
    ".xlsx": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
}
"""File name ending to export format; ``.sdmx.csv`` is SDMX-CSV, ``.unodc.csv`` UNODC's
data portal layout (:mod:`femstat.unodc`), any other ``.csv`` CSV."""

FEMICIDE_TYPE_CODES: Mapping[str, str] = {
    "intimate_partner": "INTIMATE_PARTNER",
    "family_member": "FAMILY_MEMBER",
    "partner_or_family_unspecified": "PARTNER_OR_FAMILY_UNSPECIFIED",
    "other_perpetrator": "OTHER_PERPETRATOR",
    "not_femicide": "NOT_FEMICIDE",
    "undetermined": "UNDETERMINED",
    "femicide": "FEMICIDE",
    "female_homicide": "FEMALE_HOMICIDE",
    "partner_or_family": "PARTNER_OR_FAMILY",
    "male_partner_or_family": "PARTNER_OR_FAMILY",
}
"""SDMX ``FEMICIDE_TYPE`` code of each row of an indicator table."""

SDMX_COLUMNS: tuple[str, ...] = (
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "REF_AREA",
    "TIME_PERIOD",
    "SEX",
    "AGE",
    "FEMICIDE_TYPE",
    "UNIT_MEASURE",
    "OBS_VALUE",
    "OBS_STATUS",
    "LOWER_BOUND",
    "UPPER_BOUND",
    "CONF_STATUS",
    "CONF_LEVEL",
    "CI_METHOD",
    "RULE_SET",
    "FEMSTAT_VERSION",
)
"""The SDMX-CSV columns, in order; further breakdown dimensions go before ``UNIT_MEASURE``."""

_METHOD_NAMES: Mapping[str, Mapping[str, str]] = {
    "share_method": {
        "wilson": "Wilson score interval (Wilson 1927)",
        "clopper-pearson": "Clopper-Pearson exact interval (Clopper and Pearson 1934)",
        "mid-p": "mid-p exact binomial interval (Lancaster 1961; Agresti and Gottard 2005)",
        "jeffreys": "Jeffreys interval (Brown, Cai and DasGupta 2001)",
    },
    "rate_method": {
        "exact": "exact Poisson interval from gamma quantiles (Garwood 1936)",
        "byar": "Byar's approximation to the Poisson interval (Breslow and Day 1987)",
        "mid-p": "mid-p exact Poisson interval (Lancaster 1961)",
        "jeffreys": "Jeffreys interval for a Poisson mean (Brown, Cai and DasGupta 2003)",
    },
    "method": {
        "fay-feuer": "gamma interval for directly standardised rates (Fay and Feuer 1997)",
        "tiwari": "modified gamma interval (Tiwari, Clegg and Zou 2006)",
        "dobson": "interval for weighted sums of Poisson parameters (Dobson et al. 1991)",
    },
}
_SDMX_CI_METHOD: Mapping[str, str] = {
    "wilson": "WILSON",
    "clopper-pearson": "CLOPPER_PEARSON",
    "exact": "POISSON_EXACT",
    "byar": "POISSON_BYAR",
    "mid-p": "MID_P",
    "jeffreys": "JEFFREYS",
}


class ExportError(FemstatError, ValueError):
    """A table that cannot be written as asked."""


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def describe_methods(meta: Mapping[str, Any]) -> dict[str, str]:
    """Readable names, with references, of the interval methods named in metadata.

    Parameters
    ----------
    meta : mapping
        Metadata such as ``table.attrs["femstat"]`` (keys ``share_method``,
        ``rate_method``, ``method``).

    Returns
    -------
    dict of str to str
        ``share_interval``, ``rate_interval`` and/or ``standardised_rate_interval``.
    """
    out: dict[str, str] = {}
    names = {
        "share_method": "share_interval",
        "rate_method": "rate_interval",
        "method": "standardised_rate_interval",
    }
    for key, target in names.items():
        if key in meta:
            code = str(meta[key])
            out[target] = _METHOD_NAMES[key].get(code, code)
    return out


def metadata(table: pd.DataFrame, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The metadata an export of ``table`` carries.

    Parameters
    ----------
    table : pandas.DataFrame
        A femstat table; its ``attrs["femstat"]`` and ``attrs["suppression"]`` are used.
    extra : mapping, optional
        More entries (e.g. ``{"source": "police.csv"}``); they win over the table's.

    Returns
    -------
    dict
        JSON-serialisable: at least ``femstat_version``; the table's method entries with
        their readable names under ``methods``; ``suppression`` when the table was
        suppressed.
    """
    from femstat import __version__

    meta: dict[str, Any] = dict(table.attrs.get("femstat", {}))
    meta.setdefault("femstat_version", __version__)
    methods = describe_methods(meta)
    if methods:
        meta["methods"] = methods
    if "suppression" in table.attrs:
        meta["suppression"] = dict(table.attrs["suppression"])
        if meta["suppression"].get("min_count") == 1:
            meta["suppression"]["note"] = (
                "min_count 1: every count is published, without disclosure control"
            )
    if "protection" in table.attrs:
        meta["protection"] = dict(table.attrs["protection"])
    if "femstat_estimate" in table.attrs:  # how fs.estimate made the table
        meta["estimate"] = dict(table.attrs["femstat_estimate"])
    if extra:
        meta.update(extra)
    result: dict[str, Any] = _json_safe(meta)
    return result


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """The metadata sidecar of a CSV: ``table.csv`` → ``table.metadata.json``."""
    return Path(path).with_suffix(".metadata.json")


_CSV_LINE_END = "\r\n"
"""RFC 4180 line ends: a cell holding a line break (CR or LF) is then always quoted."""

_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_text(text: str) -> str:
    """A text cell that no spreadsheet will run as a formula.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        ``text`` with a single quote ``'`` prefixed when it begins with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return, a full-width ``＝ ＋ － ＠``, or
        whitespace followed by one of these (OWASP's advice against CSV injection);
        otherwise, and for a plain number such as ``-5`` or ``+1.5e3``, ``text``
        unchanged.

    Examples
    --------
    >>> neutralise_text("=HYPERLINK(\"http://x\")")
    '\'=HYPERLINK("http://x")'
    >>> neutralise_text("-5")
    '-5'
    >>> neutralise_text("North")
    'North'
    """
    if not text:
        return text
    first = text[0] if text[0] in _FORMULA_START else text.lstrip()[:1]
    if first not in _FORMULA_START or _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_text(value)
    if (
        value is None
        or isinstance(value, bool | int | float | np.generic | pd.Timestamp | pd.Timedelta)
        or value is pd.NaT
        or value is pd.NA
    ):
        return value
    # Any other object is written as its text: neutralise that text.
    return neutralise_text(str(value))


def _safe_header(name: Any) -> Any:
    return neutralise_text(name) if isinstance(name, str) else name


def _neutralised(table: pd.DataFrame) -> pd.DataFrame:
    """Every text cell and header of ``table`` through :func:`neutralise_text`."""
    out = table.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if isinstance(column.dtype, pd.CategoricalDtype):
            # Each label once, not each cell: coded columns have a handful of labels.
            labels = column.cat.categories
            safe = [_safe_cell(label) for label in labels]
            if any(a is not b for a, b in zip(safe, labels, strict=True)):
                lookup = np.array(safe, dtype=object)
                codes = column.cat.codes.to_numpy()
                values = lookup[np.clip(codes, 0, None)]
                values[codes < 0] = None
                out.isetitem(position, values)
        elif pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(
            column.dtype
        ):
            values = np.array([_safe_cell(v) for v in column.to_numpy(dtype=object)], dtype=object)
            out.isetitem(position, values)
    out.columns = pd.Index([_safe_header(c) for c in out.columns], dtype=object)
    return out


DEFAULT_MIN_COUNT = 5
"""The threshold of a table written without one (``min_count=None``, never suppressed)."""


def _published(table: pd.DataFrame, min_count: int | None = None) -> pd.DataFrame:
    """The table as it may be published: protected, and no hidden cell written as a value.

    A count table by femicide type (from :func:`femstat.indicators` or
    :func:`femstat.counts`) not protected yet is protected (:func:`femstat.protect`:
    primary and secondary suppression); any other femstat table is suppressed
    (:func:`femstat.suppress`, idempotent). The threshold is ``min_count``, else the one
    the table was suppressed with, else :data:`DEFAULT_MIN_COUNT`; ``min_count=1``
    publishes every count. The count tables are then audited
    (:func:`femstat.audit_disclosure`): a table whose hidden cells an attacker can
    narrow is refused. A table whose kind cannot be recognised (microdata, a selection
    of columns without the counts) is written as it is.
    """
    from femstat.disclosure import DisclosureError, suppress, table_kind

    try:
        kind = table_kind(table)
    except DisclosureError:
        return table
    before = table.attrs.get("suppression", {})
    before = before if isinstance(before, Mapping) else {}
    given = min_count if min_count is not None else before.get("min_count", DEFAULT_MIN_COUNT)
    threshold = max(int(given), int(before.get("min_count", 1)))
    if kind in ("indicators", "counts") and "femicide_type" in table.columns:
        from femstat.sdc import audit_disclosure, protect

        protected = "suppression" in table.columns and "protection" in table.attrs
        out = table if protected else protect({"table": table}, min_count=threshold)["table"]
        out = suppress(out, threshold, suppress_zero=bool(before.get("suppress_zero", False)))
        out.attrs = {**table.attrs, **out.attrs}
        audit = audit_disclosure({"table": out}, min_count=threshold).attrs["audit"]
        if not audit["passed"]:
            raise ExportError(
                f"refusing to write the table: {audit['n_exposed']} of its "
                f"{audit['n_hidden']} hidden cells can be narrowed to fewer than {threshold} "
                "possible values from what it publishes; protect it with femstat.protect "
                "(or write it without a threshold: min_count=1)"
            )
        out.attrs["protection"] = {**out.attrs.get("protection", {}), "audit": audit}
        return out
    out = suppress(table, threshold, suppress_zero=bool(before.get("suppress_zero", False)))
    out.attrs = {**table.attrs, **out.attrs}
    return out


def _with_reasons(table: pd.DataFrame) -> pd.DataFrame:
    """The ``suppressed`` column as the reason of each hidden row (CSV and Excel)."""
    from femstat.disclosure import suppression_reasons

    if "suppressed" not in table.columns:
        return table
    out = table.drop(columns=["suppression"], errors="ignore")
    out["suppressed"] = pd.array(suppression_reasons(table), dtype="string")
    out.attrs = dict(table.attrs)
    return out


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as text (missing stays missing), so every reader sees the labels."""
    out = table.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            values = out[column].astype(object)
            out[column] = values.where(values.notna(), None)
    out.attrs = {}
    return out


def to_csv(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    metadata: Mapping[str, Any] | None = None,
    min_count: int | None = None,
) -> Path:
    """Write a table as CSV with a JSON metadata sidecar.

    Text cells and headers that a spreadsheet would run as formulas get a ``'`` prefixed
    (:func:`neutralise_text`); a suppressed table keeps its hidden cells hidden.

    Parameters
    ----------
    table : pandas.DataFrame
    path : str or path
        The CSV file; the sidecar is :func:`sidecar_path` of it.
    metadata : mapping, optional
        Added to :func:`femstat.exports.metadata` of the table.
    min_count : int, optional
        The threshold of the published table (see :func:`_published`): by default the
        one it was suppressed with, else 5; ``1`` publishes every count.

    Returns
    -------
    pathlib.Path
        The CSV file written.
    """
    path = Path(path)
    table = _with_reasons(_published(table, min_count))
    meta = _metadata_of(table, metadata, "csv")
    _plain(_neutralised(table)).to_csv(path, index=False, lineterminator=_CSV_LINE_END)
    sidecar_path(path).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def to_excel(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    metadata: Mapping[str, Any] | None = None,
    sheet_name: str = "data",
    min_count: int | None = None,
) -> Path:
    """Write a table to an Excel workbook, with a ``metadata`` sheet.

    Text is written as text, never as a formula (:func:`neutralise_text`); a suppressed
    table keeps its hidden cells hidden.

    Parameters
    ----------
    table : pandas.DataFrame
    path : str or path
        An ``.xlsx`` file (needs openpyxl, extra ``io``).
    metadata : mapping, optional
    sheet_name : str, default ``"data"``
    min_count : int, optional
        The threshold of the published table (see :func:`_published`): by default the
        one it was suppressed with, else 5; ``1`` publishes every count.

    Returns
    -------
    pathlib.Path
    """
    require("openpyxl", "io")
    path = Path(path)
    table = _with_reasons(_published(table, min_count))
    meta = _metadata_of(table, metadata, "excel")
    rows = [
        {"key": key, "value": json.dumps(value) if isinstance(value, list | dict) else value}
        for key, value in meta.items()
    ]
    # openpyxl makes any text beginning with "=" a formula: neutralised text never does.
    data = _excel_safe(_plain(_neutralised(table)))
    about = _excel_safe(_neutralised(pd.DataFrame(rows, columns=["key", "value"])))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        data.to_excel(writer, sheet_name=sheet_name, index=False)
        about.to_excel(writer, sheet_name="metadata", index=False)
    return path


def _excel_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Characters an Excel file cannot hold (most control characters) replaced by U+FFFD."""
    # openpyxl's own test of what a cell may hold (it raises on anything else).
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    def clean(value: Any) -> Any:
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value

    out = table.copy()
    for position in range(out.shape[1]):
        dtype = out.iloc[:, position].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            values = [clean(v) for v in out.iloc[:, position].to_numpy(dtype=object)]
            out.isetitem(position, np.array(values, dtype=object))
    out.columns = pd.Index([clean(c) for c in out.columns], dtype=object)
    return out


def to_parquet(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    metadata: Mapping[str, Any] | None = None,
    min_count: int | None = None,
) -> Path:
    """Write a table to Parquet, with the metadata in the schema under the key ``femstat``.

    Parameters
    ----------
    table : pandas.DataFrame
    path : str or path
    metadata : mapping, optional
    min_count : int, optional
        The threshold of the published table (see :func:`_published`): by default the
        one it was suppressed with, else 5; ``1`` publishes every count.

    Returns
    -------
    pathlib.Path
    """
    require("pyarrow", "io")
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = _published(table, min_count)
    meta = _metadata_of(table, metadata, "parquet")
    plain = table.copy()
    plain.attrs = {}
    arrow = pa.Table.from_pandas(plain, preserve_index=False)
    existing = dict(arrow.schema.metadata or {})
    existing[b"femstat"] = json.dumps(meta).encode("utf-8")
    pq.write_table(arrow.replace_schema_metadata(existing), path)
    return path


_AGE_BAND = re.compile(r"^(\d+)-(\d+)$")
_AGE_OPEN = re.compile(r"^(\d+)\+$")


def sdmx_age_code(group: object) -> str:
    """SDG-style age code of a femstat age group: ``"0-9"`` → ``Y0T9``, ``"60+"`` → ``Y_GE60``.

    ``"unknown"`` gives ``_U`` and ``None`` (no age breakdown) ``_T``; other labels are
    returned upper-cased.
    """
    if group is None:
        return "_T"
    text = str(group)
    if text == "unknown":
        return "_U"
    if m := _AGE_BAND.match(text):
        return f"Y{m.group(1)}T{m.group(2)}"
    if m := _AGE_OPEN.match(text):
        return f"Y_GE{m.group(1)}"
    return text.upper()


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def sdmx_frame(
    table: pd.DataFrame,
    *,
    ref_area: str | None = None,
    time_period: str | None = None,
    structure_id: str = "FEMSTAT:DF_FEMICIDE(1.0)",
    type_column: str = "femicide_type",
    min_count: int | None = None,
) -> pd.DataFrame:
    """An indicator table as SDMX-CSV rows, one observation per row.

    Parameters
    ----------
    table : pandas.DataFrame
        An indicator table from :func:`femstat.indicators`, suppressed or not.
    ref_area : str, optional
        ``REF_AREA`` when the table has no ``area`` column (default ``_T``).
    time_period : str, optional
        ``TIME_PERIOD`` when the table has no ``year`` column (then required).
    structure_id : str, default ``"FEMSTAT:DF_FEMICIDE(1.0)"``
        The dataflow, as ``AGENCY:ID(VERSION)``.
    type_column : str
    min_count : int, optional
        The threshold of the published table (see :func:`_published`): by default the
        one it was suppressed with, else 5; ``1`` publishes every count.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`SDMX_COLUMNS`, with further breakdown dimensions before
        ``UNIT_MEASURE``. The codes are described in :mod:`femstat.exports`.

    Raises
    ------
    ExportError
        When the table is not an indicator table or has no time period.
    """
    from femstat import __version__

    if type_column not in table.columns or "count" not in table.columns:
        raise ExportError(
            f"SDMX-CSV export needs an indicator table (columns {type_column!r} and 'count'); "
            "make one with femstat.indicators"
        )
    if "year" not in table.columns and time_period is None:
        raise ExportError(
            "SDMX-CSV needs a time period: count by 'year' or pass time_period='2015/2024'"
        )
    meta = table.attrs.get("femstat", {})
    levels = meta.get("levels") or [None]
    level = levels[0]
    per = float(meta.get("per", 100_000))
    rate_unit = f"PER_{_number(per)}_POP"
    version = str(meta.get("femstat_version", __version__))
    rule_set = str(meta.get("rule_set", ""))
    share_ci = _SDMX_CI_METHOD.get(str(meta.get("share_method", "wilson")), "")
    rate_ci = _SDMX_CI_METHOD.get(str(meta.get("rate_method", "exact")), "")
    from femstat.disclosure import suppression_reasons

    table = _published(table, min_count)
    # A missing count is a hidden one (femstat's counts are never missing otherwise):
    # confidential even where a mark was lost. Primary: C, secondary: D (CL_CONF_STATUS).
    reasons = suppression_reasons(table)
    suppressed = reasons != ""
    conf = np.where(reasons == "secondary", "D", np.where(suppressed, "C", "F"))
    # A share whose denominator is withheld is withheld for the denominator's reason.
    keys = list(table.columns[: list(table.columns).index(type_column)])
    groups = (
        list(zip(*(table[k].astype(str) for k in keys), strict=True)) if keys else [()] * len(table)
    )
    kinds = table[type_column].astype(str).to_numpy(dtype=object)
    total_conf = {
        (g, k): c
        for g, k, c in zip(groups, kinds, conf, strict=True)
        if k in ("female_homicide", "male_homicide")
    }
    denominator_conf = [
        total_conf.get(
            (g, "male_homicide" if k == "male_partner_or_family" else "female_homicide"), "C"
        )
        for g, k in zip(groups, kinds, strict=True)
    ]
    reliable = (
        table["reliable"].fillna(False).to_numpy(dtype=bool)  # missing where hidden
        if "reliable" in table.columns
        else np.ones(len(table), dtype=bool)
    )
    standard = {"area", "year", "age_group", type_column}
    skip = {
        "count",
        "share_denominator",
        "reliable",
        "suppressed",
        "suppression",
        "population",
    }
    extra_dims = [
        c
        for c in table.columns
        if c not in standard
        and c not in skip
        and not str(c).startswith(("share", "rate", "count_"))
    ]
    records: list[dict[str, Any]] = []

    def value(row: pd.Series, column: str) -> float:
        v = row.get(column, np.nan)
        return np.nan if v is None or pd.isna(v) else float(v)

    for i, (_, row) in enumerate(table.iterrows()):
        kind = str(row[type_column])
        if kind not in FEMICIDE_TYPE_CODES:
            continue
        base: dict[str, Any] = {
            "STRUCTURE": "dataflow",
            "STRUCTURE_ID": structure_id,
            "ACTION": "I",
            "REF_AREA": str(row["area"]) if "area" in table.columns else (ref_area or "_T"),
            "TIME_PERIOD": str(row["year"]) if "year" in table.columns else time_period,
            "SEX": "M" if kind == "male_partner_or_family" else "F",
            "AGE": sdmx_age_code(row["age_group"]) if "age_group" in table.columns else "_T",
            "FEMICIDE_TYPE": FEMICIDE_TYPE_CODES[kind],
        }
        for dim in extra_dims:
            base[str(dim).upper()] = str(row[dim])
        attributes = {"RULE_SET": rule_set, "FEMSTAT_VERSION": version}
        count = value(row, "count")
        records.append(
            {
                **base,
                "UNIT_MEASURE": "NUMBER",
                "OBS_VALUE": np.nan if suppressed[i] else count,
                "OBS_STATUS": "Q" if suppressed[i] else "A",
                "LOWER_BOUND": np.nan,
                "UPPER_BOUND": np.nan,
                "CONF_STATUS": conf[i],
                "CONF_LEVEL": np.nan,
                "CI_METHOD": "",
                **attributes,
            }
        )
        denominator = row.get("share_denominator", np.nan)
        share = value(row, "share")
        if "share" in table.columns:
            share_hidden = np.isnan(share) and (suppressed[i] or pd.isna(denominator))
            if np.isnan(share) and not share_hidden:
                status = "M"
            elif share_hidden:
                status = "Q"
            else:
                status = "A" if reliable[i] else "U"
            records.append(
                {
                    **base,
                    "UNIT_MEASURE": "PERCENT",
                    "OBS_VALUE": share * 100,
                    "OBS_STATUS": status,
                    "LOWER_BOUND": value(row, "share_lower") * 100,
                    "UPPER_BOUND": value(row, "share_upper") * 100,
                    "CONF_STATUS": (conf[i] if suppressed[i] else denominator_conf[i])
                    if share_hidden
                    else "F",
                    "CONF_LEVEL": level,
                    "CI_METHOD": share_ci,
                    **attributes,
                }
            )
        if "rate" in table.columns and pd.notna(row.get("population", np.nan)):
            rate = value(row, "rate")
            hidden = bool(suppressed[i])
            records.append(
                {
                    **base,
                    "UNIT_MEASURE": rate_unit,
                    "OBS_VALUE": rate,
                    "OBS_STATUS": "Q" if hidden else ("A" if reliable[i] else "U"),
                    "LOWER_BOUND": value(row, "rate_lower"),
                    "UPPER_BOUND": value(row, "rate_upper"),
                    "CONF_STATUS": conf[i] if hidden else "F",
                    "CONF_LEVEL": level,
                    "CI_METHOD": rate_ci,
                    **attributes,
                }
            )
    dims = [str(d).upper() for d in extra_dims]
    columns = [*SDMX_COLUMNS[:8], *dims, *SDMX_COLUMNS[8:]]
    frame = pd.DataFrame.from_records(records, columns=columns)
    # Counts are whole numbers: keep them as integers in the file ("113", not "113.0").
    frame["OBS_VALUE"] = pd.Series(
        [
            None if pd.isna(v) else (int(v) if unit == "NUMBER" else float(v))
            for v, unit in zip(frame["OBS_VALUE"], frame["UNIT_MEASURE"], strict=True)
        ],
        dtype=object,
        index=frame.index,
    )
    return frame


def to_sdmx_csv(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    ref_area: str | None = None,
    time_period: str | None = None,
    structure_id: str = "FEMSTAT:DF_FEMICIDE(1.0)",
    min_count: int | None = None,
) -> Path:
    """Write an indicator table as SDMX-CSV (see :func:`sdmx_frame` for the columns).

    Parameters
    ----------
    table : pandas.DataFrame
        An indicator table from :func:`femstat.indicators`, suppressed or not.
    path : str or path
    ref_area, time_period, structure_id, min_count :
        As for :func:`sdmx_frame`.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    frame = sdmx_frame(
        table,
        ref_area=ref_area,
        time_period=time_period,
        structure_id=structure_id,
        min_count=min_count,
    )
    _neutralised(frame).to_csv(path, index=False, lineterminator=_CSV_LINE_END)
    return path


def _metadata_of(table: pd.DataFrame, extra: Mapping[str, Any] | None, fmt: str) -> dict[str, Any]:
    meta = metadata(table, extra)
    meta["format"] = fmt
    meta["columns"] = [str(c) for c in table.columns]
    return meta


def format_of(path: str | os.PathLike[str], given: str | None = None) -> ExportFormat:
    """The export format of ``path`` from its name (see :data:`FORMATS`), or ``given``.

    Raises
    ------
    ExportError
        When neither the name nor ``given`` names a known format.
    """
    known = tuple(dict.fromkeys(FORMATS.values()))
    if given is not None:
        if given not in known:
            raise ExportError(f"format must be one of {list(known)}, not {given!r}")
        return given
    name = Path(path).name.lower()
    for ending, fmt in FORMATS.items():
        if name.endswith(ending):
            return fmt
    raise ExportError(
        f"cannot tell the output format of {Path(path).name!r}; name it .csv, .xlsx, "
        ".parquet or .sdmx.csv (.unodc.csv for UNODC's layout), or give the format "
        "explicitly"
    )


def export(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    format: ExportFormat | None = None,
    *,
    metadata: Mapping[str, Any] | None = None,
    min_count: int | None = None,
    **kwargs: Any,
) -> Path:
    """Write a table in the format its file name says, with its metadata.

    Parameters
    ----------
    table : pandas.DataFrame
    path : str or path
        ``.csv`` (with a ``.metadata.json`` sidecar), ``.xlsx``, ``.parquet``,
        ``.sdmx.csv`` or ``.unodc.csv``.
    format : {"csv", "excel", "parquet", "sdmx", "unodc"}, optional
        Overrides the name. ``"unodc"`` writes UNODC's data portal layout
        (:func:`femstat.unodc.to_unodc`) from the classified records or a count cube.
    metadata : mapping, optional
        Added to the table's metadata (not used by SDMX-CSV, whose attributes are fixed).
    min_count : int, optional
        The threshold of the published table (see :func:`_published`): by default the
        one it was suppressed with, else 5; ``1`` publishes every count.
    **kwargs
        Passed to :func:`to_sdmx_csv` (``ref_area``, ``time_period``, ``structure_id``)
        or :func:`femstat.unodc.to_unodc` (``iso3``, ``country``, ``year``, ...).

    Returns
    -------
    pathlib.Path
        The data file written.
    """
    fmt = format_of(path, format)
    if fmt == "sdmx":
        return to_sdmx_csv(table, path, min_count=min_count, **kwargs)
    if fmt == "unodc":
        from femstat.unodc import to_unodc

        return to_unodc(table, path, metadata=metadata, min_count=min_count, **kwargs)
    if kwargs:
        raise TypeError(f"options {sorted(kwargs)} only apply to SDMX-CSV and UNODC")
    if fmt == "csv":
        return to_csv(table, path, metadata=metadata, min_count=min_count)
    if fmt == "excel":
        return to_excel(table, path, metadata=metadata, min_count=min_count)
    return to_parquet(table, path, metadata=metadata, min_count=min_count)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read back the metadata of a CSV, Excel or Parquet file written by femstat.

    Parameters
    ----------
    path : str or path

    Returns
    -------
    dict

    Raises
    ------
    ExportError
        When the file carries no femstat metadata.
    """
    path = Path(path)
    fmt = format_of(path)
    if fmt == "unodc":
        fmt = "csv"  # the same sidecar
    if fmt == "sdmx":
        raise ExportError(
            f"{path.name} is SDMX-CSV, which has no sidecar: its metadata are the attribute "
            "columns of every row"
        )
    if fmt == "csv":
        sidecar = sidecar_path(path)
        if not sidecar.exists():
            raise ExportError(f"no metadata sidecar {sidecar.name} next to {path.name}")
        result: dict[str, Any] = json.loads(sidecar.read_text(encoding="utf-8"))
        return result
    if fmt == "excel":
        require("openpyxl", "io")
        sheet = pd.read_excel(path, sheet_name="metadata", dtype=object)
        out: dict[str, Any] = {}
        for key, value in zip(sheet["key"], sheet["value"], strict=True):
            if isinstance(value, str) and value[:1] in ("[", "{"):
                value = json.loads(value)
            elif isinstance(value, float) and np.isnan(value):
                value = None
            out[str(key)] = value
        return out
    require("pyarrow", "io")
    import pyarrow.parquet as pq

    schema_meta = pq.read_schema(path).metadata or {}
    if b"femstat" not in schema_meta:
        raise ExportError(f"{path.name} carries no femstat metadata")
    parsed: dict[str, Any] = json.loads(schema_meta[b"femstat"].decode("utf-8"))
    return parsed

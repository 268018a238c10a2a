"""Statistical disclosure control for published tables: primary suppression of small cells.

A small count in a published table can identify a victim. :func:`suppress` hides counts
below a threshold and every value of the same row from which a hidden count can be
computed, and marks what it hid: suppressed cells stay in the table, so a reader sees that
a value exists and was withheld.

It recognises every table femstat makes, so the caller never names the count column:

================ ==========================================================================
table            what is hidden
================ ==========================================================================
indicators,      a small ``count`` with its shares, share intervals, rates and rate
count cubes      intervals (each reveals the count); a small ``share_denominator`` with
                 every share over it
bounds           a small ``female_homicide``, ``lower`` or ``upper``; a withheld bound
                 withholds the other bound; ``upper`` is withheld when the undetermined
                 count (``upper - lower``) or the not-femicide count
                 (``female_homicide - upper``) is small; each share is withheld with its
                 bound or with ``female_homicide``, each rate with its bound
age-standardised a small ``count`` with ``count_unknown_age``, the crude and standardised
rates            rates and their intervals; a small ``count_unknown_age`` on its own
trend            a small series total ``count`` with the series' APC and its interval
completeness     a small ``female_homicide`` with every share; a share whose number of
                 records (share × ``female_homicide``) is small: that number is a count too
comparisons      a small ``count`` with the group's rate and share; a small
                 ``reference_count`` with the reference's; either with the ratio, its
                 interval and p-value, the percent change and the share difference
================ ==========================================================================

Suppression is idempotent: applying it to a suppressed table gives the same table, and
applying it again with another threshold hides the union of both (a hidden cell is never
shown again). Primary suppression only: complementary cells of other rows or other tables
that let a reader recover a hidden one by subtraction are not searched for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from femstat.errors import FemstatError
from femstat.schemas import is_sensitive

__all__ = [
    "SUPPRESSION_REASONS",
    "DisclosureError",
    "TableKind",
    "margin_complements",
    "suppress",
    "suppression_reasons",
    "table_kind",
]

TableKind = Literal[
    "indicators", "bounds", "standardised", "trend", "completeness", "comparisons", "counts"
]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_RATE_PREFIXES = ("rate", "crude_rate")
_APC_COLUMNS = (
    "apc",
    "apc_lower",
    "apc_upper",
    "dispersion",
    "theta",
    "aapc",
    "aapc_lower",
    "aapc_upper",
)


SUPPRESSION_REASONS: Mapping[str, str] = {
    "primary": "primary: a count from 1 to min_count - 1 (or a value derived from one)",
    "secondary": "secondary: withheld so that a primary cell cannot be worked out",
}
"""What the ``suppressed`` column of a published CSV or Excel file says of a hidden row.

Readers see both as ``[c]``; the data say which (SDMX ``CONF_STATUS`` ``C`` and ``D``).
"""


class DisclosureError(FemstatError, ValueError):
    """A table that cannot be suppressed as asked."""


class _MissingColumnError(DisclosureError, KeyError):
    """The count column named by the caller is not in the table."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def table_kind(table: pd.DataFrame) -> TableKind:
    """Which femstat table ``table`` is, from its ``attrs`` or else its columns.

    Parameters
    ----------
    table : pandas.DataFrame

    Returns
    -------
    {"indicators", "bounds", "standardised", "trend", "completeness", "comparisons", "counts"}
        ``"counts"`` is any other table with a ``count`` column (a count cube from
        :func:`femstat.counts`, or a table of the caller's).

    Raises
    ------
    DisclosureError
        When the table is none of these.
    """
    columns = set(map(str, table.columns))
    meta = table.attrs.get("femstat", {})
    meta = meta if isinstance(meta, Mapping) else {}
    if {"count", "reference_count"} <= columns:
        return "comparisons"
    # The attrs say what a table is when femstat made it; the columns must still be there.
    if "model" in meta and {"count", "apc"} <= columns:
        return "trend"
    if "standard" in meta and {"count", "count_unknown_age"} <= columns:
        return "standardised"
    if "share_method" in meta and {"count", "share_denominator"} <= columns:
        return "indicators"
    # Bounds and completeness tables carry no attrs: recognised by their columns.
    if {"female_homicide", "lower", "upper"} <= columns:
        return "bounds"
    if (
        "female_homicide" in columns
        and "undetermined" in columns
        and "count" not in columns
        and any(c.endswith("_unknown") for c in columns)
    ):
        return "completeness"
    if {"count", "count_unknown_age"} <= columns:
        return "standardised"
    if {"count", "apc"} <= columns:
        return "trend"
    if {"count", "share_denominator"} <= columns:
        return "indicators"
    if "count" in columns:
        return "counts"
    raise DisclosureError(
        f"cannot tell which counts to suppress in a table with columns {sorted(columns)}: "
        "it is not an indicator, bounds, age-standardised, trend or completeness table and "
        "has no 'count' column; pass count_column= naming the column that holds counts"
    )


def _values(table: pd.DataFrame, column: str) -> FloatArray:
    values: FloatArray = pd.to_numeric(table[column], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    return values


class _Rule:
    """The cells to hide in one table: per column, a mask of rows."""

    def __init__(self, table: pd.DataFrame, min_count: int, suppress_zero: bool) -> None:
        self.table = table
        self.min_count = min_count
        self.suppress_zero = suppress_zero
        self.hide: dict[str, BoolArray] = {}
        self.counts: list[str] = []  # columns written back as nullable integers
        self.marked = np.zeros(len(table), dtype=bool)  # rows with a withheld cell
        previous = (
            table["suppressed"].fillna(False).to_numpy(dtype=bool)
            if "suppressed" in table.columns
            else np.zeros(len(table), dtype=bool)
        )
        self.previous = previous

    def small(self, values: FloatArray) -> BoolArray:
        """Counts from 1 (0 with ``suppress_zero``) to ``min_count - 1``; NaN is not small."""
        with np.errstate(invalid="ignore"):
            result: BoolArray = (values < self.min_count) & ((values > 0) | self.suppress_zero)
        return result

    def count(self, column: str) -> BoolArray:
        """Hide a small count; a missing count is one hidden before, and stays hidden."""
        values = _values(self.table, column)
        hidden = self.small(values) | np.isnan(values)
        self.counts.append(column)
        return self.add(column, hidden)

    def add(self, column: str, mask: BoolArray) -> BoolArray:
        if column in self.table.columns:
            self.hide[column] = self.hide.get(column, np.zeros(len(mask), dtype=bool)) | mask
        return mask

    def derived(self, prefixes: tuple[str, ...], mask: BoolArray, *, exclude: set[str]) -> None:
        for column in self.table.columns:
            name = str(column)
            numeric = pd.api.types.is_numeric_dtype(self.table[column].dtype)
            if numeric and name.startswith(prefixes) and name not in exclude:
                self.add(name, mask)

    def forced(self, marks: list[BoolArray]) -> BoolArray:
        """Rows marked suppressed before with no withheld cell left: hide them whole.

        A table femstat suppressed always has a missing cell on a marked row; a marked
        row whose cells are all there was filled in afterwards, and is hidden again.
        """
        any_hidden = np.zeros(len(self.table), dtype=bool)
        for mask in marks:
            any_hidden |= mask
        return self.previous & ~any_hidden


def _indicators(rule: _Rule, count_column: str) -> None:
    hidden = rule.count(count_column)
    hidden |= rule.forced([hidden])
    rule.add(count_column, hidden)
    share_hidden = hidden.copy()
    if "share_denominator" in rule.table.columns and count_column != "share_denominator":
        share_hidden |= rule.count("share_denominator")
    rule.derived(("share",), share_hidden, exclude={"share_denominator"})
    rule.derived(_RATE_PREFIXES, hidden, exclude=set())
    # Intervals of the count itself (e.g. count_lower, count_upper) give it away too.
    rule.derived((f"{count_column}_",), hidden, exclude=set())
    rule.marked = hidden


def _bounds(rule: _Rule) -> None:
    table = rule.table
    female = _values(table, "female_homicide")
    lower_values = _values(table, "lower")
    upper_values = _values(table, "upper")
    h_female = rule.count("female_homicide")
    h_lower = rule.count("lower")
    h_upper = rule.count("upper")
    force = rule.forced([h_female, h_lower, h_upper])
    h_female = h_female | force
    # upper - lower is the undetermined count and female_homicide - upper the
    # not-femicide count: both are shown by the row when both ends are shown.
    h_upper = (
        h_upper
        | force
        | h_lower
        | rule.small(upper_values - lower_values)
        | rule.small(female - upper_values)
    )
    # The other bound: a small upper bound (not one hidden for the differences above, so
    # that a second pass changes nothing) withholds the lower bound as well.
    h_lower = h_lower | force | rule.small(upper_values)
    for column, mask in (("female_homicide", h_female), ("lower", h_lower), ("upper", h_upper)):
        rule.add(column, mask)
    rule.add("lower_share", h_lower | h_female)
    rule.add("upper_share", h_upper | h_female)
    rule.derived(("lower_rate",), h_lower, exclude=set())
    rule.derived(("upper_rate",), h_upper, exclude=set())
    rule.marked = h_female | h_lower | h_upper


def _standardised(rule: _Rule) -> None:
    hidden = rule.count("count")
    unknown = rule.count("count_unknown_age")
    force = rule.forced([hidden, unknown])
    hidden = hidden | force
    # With the group's total published elsewhere, the unknown-age count gives the count.
    unknown = unknown | hidden
    rule.add("count", hidden)
    rule.add("count_unknown_age", unknown)
    rule.derived(_RATE_PREFIXES, hidden, exclude=set())
    rule.marked = hidden | unknown


def _trend(rule: _Rule) -> None:
    hidden = rule.count("count")
    hidden = hidden | rule.forced([hidden])
    rule.add("count", hidden)
    for column in _APC_COLUMNS:
        rule.add(column, hidden)
    rule.marked = hidden


def _completeness(rule: _Rule) -> None:
    table = rule.table
    female = _values(table, "female_homicide")
    h_female = rule.count("female_homicide")
    shares = [
        str(c) for c in table.columns if str(c).endswith("_unknown") or str(c) == "undetermined"
    ]
    share_masks: dict[str, BoolArray] = {}
    for column in shares:
        share = _values(table, column)
        # A share is missing by nature only over an empty group; otherwise it was hidden.
        was_hidden = np.isnan(share) & ~(female == 0)
        records = np.round(share * female)
        share_masks[column] = rule.small(records) | was_hidden
    force = rule.forced([h_female, *share_masks.values()])
    h_female = h_female | force
    rule.add("female_homicide", h_female)
    marked = h_female.copy()
    for column, mask in share_masks.items():
        hidden = mask | h_female
        rule.add(column, hidden)
        marked |= hidden
    rule.marked = marked


# Values of a comparison that depend on both groups' counts (rate_ratios).
_JOINT_PREFIXES = ("rate_ratio", "percent_change", "share_difference", "p_value", "ratio")


def _comparisons(rule: _Rule) -> None:
    own = rule.count("count")
    reference = rule.count("reference_count")
    force = rule.forced([own, reference])
    own = own | force
    rule.add("count", own)
    rule.add("reference_count", reference)
    counts = {"count", "reference_count", "population", "reference_population"}
    for column in rule.table.columns:
        name = str(column)
        # Derived values are floats; the groups compared (years, codes) are keys.
        if name in counts or not pd.api.types.is_float_dtype(rule.table[column].dtype):
            continue
        if name.startswith(_JOINT_PREFIXES):
            rule.add(name, own | reference)
        elif name.startswith("reference_"):
            rule.add(name, reference)
        else:
            rule.add(name, own)
    rule.marked = own | reference


_KINDS: Mapping[str, Callable[[_Rule], None]] = {
    "comparisons": _comparisons,
    "bounds": _bounds,
    "standardised": _standardised,
    "trend": _trend,
    "completeness": _completeness,
}


def _threshold(table: pd.DataFrame, min_count: int, suppress_zero: bool) -> dict[str, Any]:
    """The suppression now in force: the union with one applied before."""
    before = table.attrs.get("suppression")
    if isinstance(before, Mapping):
        previous = before.get("min_count")
        if isinstance(previous, int | np.integer) and not isinstance(previous, bool):
            min_count = max(min_count, int(previous))
        suppress_zero = suppress_zero or bool(before.get("suppress_zero", False))
    return {"min_count": min_count, "suppress_zero": suppress_zero}


def suppress(
    table: pd.DataFrame,
    min_count: int = 5,
    *,
    count_column: str | None = None,
    suppress_zero: bool = False,
) -> pd.DataFrame:
    """Suppress small counts, and every value of their row that reveals them.

    Parameters
    ----------
    table : pandas.DataFrame
        Any table femstat makes: indicators (:func:`femstat.indicators`), a count cube
        (:func:`femstat.counts`), bounds (:func:`femstat.bounds`), age-standardised rates
        (:func:`femstat.age_standardised_rates`), a trend (:func:`femstat.trend`) or
        completeness (:func:`femstat.completeness`); suppressed already or not. The kind is
        recognised from the table's ``attrs`` or columns (:func:`table_kind`).
    min_count : int, default 5
        Counts from 1 to ``min_count - 1`` are suppressed.
    count_column : str, optional
        For a table of another kind: the column holding counts (its shares and rates are
        suppressed with it). Not needed for femstat's tables.
    suppress_zero : bool, default False
        Suppress zero counts too (a zero can disclose that nobody in a group was a victim).

    Returns
    -------
    pandas.DataFrame
        A copy with the counts as nullable integers (``<NA>`` where suppressed), the
        values derived from a suppressed count ``NaN``, and a ``suppressed`` column: True
        where the row's count (for bounds, age-standardised and completeness tables: any
        of the row's counts) is withheld. A share whose denominator
        (``share_denominator``) is itself a small count is suppressed too. The module
        docstring lists the rule of each table kind. ``attrs["suppression"]`` records the
        threshold (``min_count``, ``suppress_zero``).

    Raises
    ------
    DisclosureError
        When ``min_count`` is below 1, the table holds an identifying column (such a
        table cannot be published), or its counts cannot be found.

    Notes
    -----
    Idempotent: a suppressed table comes back unchanged, with the same marks. Applied
    again with another ``min_count``, the union is hidden: nothing hidden before is
    shown, and ``attrs["suppression"]`` records the larger threshold. Primary suppression
    only: complementary cells that let a reader recover a hidden one by subtraction
    across rows or tables are not searched for.
    """
    if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer):
        raise DisclosureError(
            f"min_count must be a whole number, not {type(min_count).__name__}; pass e.g. 5"
        )
    if min_count < 1:
        raise DisclosureError(f"min_count must be at least 1, not {min_count}; pass e.g. 5")
    sensitive = [str(c) for c in table.columns if is_sensitive(c)]
    if sensitive:
        raise DisclosureError(
            f"the table holds the identifying column(s) {sensitive} ({len(table):,} rows); a "
            "published table must not: drop them, or count by coded variables instead"
        )
    threshold = _threshold(table, int(min_count), suppress_zero)
    rule = _Rule(table, threshold["min_count"], threshold["suppress_zero"])
    if count_column is not None:
        if count_column not in table.columns:
            raise _MissingColumnError(
                f"no count column {count_column!r} in the table (columns: "
                f"{[str(c) for c in table.columns]}); name the column that holds counts"
            )
        kind = table_kind(table) if count_column == "count" else "counts"
        if kind in _KINDS and count_column == "count":
            _KINDS[kind](rule)
        else:
            _indicators(rule, count_column)
    else:
        kind = table_kind(table)
        if kind in _KINDS:
            _KINDS[kind](rule)
        else:
            _indicators(rule, "count")
    out = table.copy()
    for column, mask in rule.hide.items():
        shown = np.where(mask, np.nan, _values(out, column))
        if column in rule.counts and column != "share_denominator":
            out[column] = pd.array(shown, dtype="Int64")
        else:
            out[column] = shown
    if "reliable" in out.columns:
        # reliable = count >= min_reliable would tell a reader that a hidden count is large.
        reliable = out["reliable"].astype("boolean")
        out["reliable"] = reliable.mask(rule.marked)
    out["suppressed"] = rule.marked
    out.attrs = {**table.attrs, "suppression": threshold}
    return out


def suppression_reasons(table: pd.DataFrame) -> npt.NDArray[np.object_]:
    """Why each row of a published table is withheld: ``"primary"``, ``"secondary"`` or ``""``.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`suppress` (a ``suppressed`` column) or :func:`femstat.protect`
        (also a ``suppression`` column saying which).

    Returns
    -------
    numpy.ndarray of str
        ``"secondary"`` where :func:`femstat.protect` hid the row to protect another,
        ``"primary"`` where the row is otherwise withheld, ``""`` where it is published.
    """
    marked = (
        table["suppressed"].fillna(False).to_numpy(dtype=bool)
        if "suppressed" in table.columns
        else np.zeros(len(table), dtype=bool)
    )
    if "count" in table.columns:
        marked = marked | pd.isna(table["count"]).to_numpy(dtype=bool)
    reasons = np.where(marked, "primary", "").astype(object)
    if "suppression" in table.columns:
        given = table["suppression"].astype("string").fillna("").to_numpy(dtype=object)
        reasons[marked & (given == "secondary")] = "secondary"
    return reasons


def margin_complements(
    values: npt.ArrayLike, hidden: npt.ArrayLike, min_count: int = 5
) -> BoolArray:
    """Secondary suppression of a one-way table whose total is published.

    Parameters
    ----------
    values : array_like of float
        The true counts of the cells (e.g. one item by year), all known to the caller.
    hidden : array_like of bool
        The cells withheld by primary suppression.
    min_count : int, default 5
        The threshold rule: a hidden cell must keep at least ``min_count`` possible values.

    Returns
    -------
    numpy.ndarray of bool
        ``hidden`` with the complements added.

    Notes
    -----
    With the total published, the hidden cells add up to a known sum ``S``: one hidden
    cell is ``S`` exactly; with two or more, each lies anywhere in ``0..S``, ``S + 1``
    whole numbers. Complements are added, smallest sufficient first (the cheapest that
    brings ``S`` to ``min_count - 1``; else the largest), until at least two cells are
    hidden and ``S >= min_count - 1``, or no published non-zero cell is left. The
    attacker's interval of a one-way table is exactly this, so the rule is optimal in the
    number of cells for one table; used for tables that are linked to the others by
    their total only (completeness items by year).
    """
    counts = np.asarray(values, dtype=np.float64)
    mask = np.array(hidden, dtype=bool, copy=True)
    if counts.shape != mask.shape:
        raise DisclosureError(
            f"values and hidden differ in shape ({counts.shape} and {mask.shape})"
        )
    while mask.any():
        total = float(np.nansum(counts[mask]))
        if int(mask.sum()) >= 2 and total >= min_count - 1:
            break
        candidates = np.flatnonzero(~mask & (counts > 0))
        if candidates.size == 0:
            break
        need = min_count - 1 - total
        enough = candidates[counts[candidates] >= need]
        if enough.size:
            pick = enough[np.argmin(counts[enough])]
        else:
            pick = candidates[np.argmax(counts[candidates])]
        mask[pick] = True
    return mask

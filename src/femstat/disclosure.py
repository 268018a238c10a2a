"""Statistical disclosure control for published tables: primary suppression of small cells.

A small count in a published table can identify a victim. :func:`suppress` hides counts
below a threshold and every statistic derived from a hidden count, and marks what it hid:
suppressed cells stay in the table, so a reader sees that a value exists and was withheld.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["suppress"]

_SHARE_PREFIXES = ("share",)
_RATE_PREFIXES = ("rate", "crude_rate", "lower_rate", "upper_rate")


def _columns(table: pd.DataFrame, prefixes: tuple[str, ...]) -> list[str]:
    return [c for c in table.columns if c.startswith(prefixes) and c != "share_denominator"]


def suppress(
    table: pd.DataFrame,
    min_count: int = 5,
    *,
    count_column: str = "count",
    suppress_zero: bool = False,
) -> pd.DataFrame:
    """Suppress small counts, and every share and rate derived from them.

    Parameters
    ----------
    table : pandas.DataFrame
        An indicator table (:func:`femstat.indicators`), a cube (:func:`femstat.counts`)
        or any table with a count column.
    min_count : int, default 5
        Counts from 1 to ``min_count - 1`` are suppressed.
    count_column : str, default ``"count"``
    suppress_zero : bool, default False
        Suppress zero counts too (a zero can disclose that nobody in a group was a victim).

    Returns
    -------
    pandas.DataFrame
        A copy with ``count`` as nullable integers (``<NA>`` where suppressed), shares and
        rates ``NaN`` where derived from a suppressed count, and a ``suppressed`` column.
        A share whose denominator (``share_denominator``) is itself a small count is
        suppressed too, since it would reveal that count. Primary suppression only:
        complementary cells that let a reader recover a hidden one by subtraction are not
        searched for.
    """
    if count_column not in table.columns:
        raise KeyError(f"no count column {count_column!r} in the table")
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    out = table.copy()
    count = out[count_column].to_numpy(dtype=np.float64, na_value=np.nan)
    small = (count < min_count) & ((count > 0) | suppress_zero)
    out[count_column] = pd.array(np.where(small, np.nan, count), dtype="Int64")
    out["suppressed"] = small
    share_hidden = small.copy()
    if "share_denominator" in out.columns:
        denominator = out["share_denominator"].to_numpy(dtype=np.float64, na_value=np.nan)
        denominator_small = (denominator < min_count) & ((denominator > 0) | suppress_zero)
        share_hidden |= denominator_small
        out["share_denominator"] = np.where(denominator_small, np.nan, denominator)
    for column in _columns(out, _SHARE_PREFIXES):
        out[column] = np.where(share_hidden, np.nan, out[column].to_numpy(dtype=np.float64))
    for column in _columns(out, _RATE_PREFIXES):
        out[column] = np.where(small, np.nan, out[column].to_numpy(dtype=np.float64))
    out.attrs = {
        **table.attrs,
        "suppression": {"min_count": min_count, "suppress_zero": suppress_zero},
    }
    return out

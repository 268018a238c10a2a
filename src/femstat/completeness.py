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

import pandas as pd

from femstat._cube import check_breakdown, completeness_cube, shares
from femstat._dispatch import completeness_of_partitions, is_dask_frame
from femstat.ages import AgeScheme
from femstat.classify import UN_2022, RuleSet

__all__ = ["completeness"]


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
    check_breakdown([by] if isinstance(by, str) else list(by))
    if is_dask_frame(data):  # partition by partition, count cubes added
        return completeness_of_partitions(
            data, by, rules=rules, age_groups=age_groups, stacklevel=4
        )
    by = [by] if isinstance(by, str) else list(by)
    return shares(completeness_cube(data, by, rules=rules, age_groups=age_groups), by)

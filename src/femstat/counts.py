"""Count cubes of a frame in memory: the narrow waist between microdata and statistics.

A count cube holds, for every combination of the breakdown columns' levels and every
femicide type, the number of victim records: empty cells are explicit zeros. Code columns
contribute every declared category; free columns (``year``, ``area``, any other) the
values present. Cubes of disjoint parts of the data add up exactly to the cube of the
whole (:func:`add_cubes`), which is how chunked files and Dask partitions combine.

:func:`counts` is the engine for a frame in memory; a Dask DataFrame is sent to its
partitions (:mod:`femstat._dispatch`), a file too large for memory is counted batch by
batch by :mod:`femstat.stream`. The counting itself, shared by all three, is in the cube
layer's internal interface, :mod:`femstat._cube`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from femstat._cube import (
    COMPARATOR_CLASSES,
    PROVENANCE,
    BreakdownError,
    CubeMismatchError,
    add_cubes,
    check_breakdown,
    count_frame,
    cube_keys,
    cube_provenance,
    group_cells,
)
from femstat._dispatch import counts_of_partitions, is_dask_frame
from femstat.ages import AgeScheme
from femstat.classify import UN_2022, RuleSet

__all__ = [
    "COMPARATOR_CLASSES",
    "PROVENANCE",
    "BreakdownError",
    "CubeMismatchError",
    "add_cubes",
    "check_breakdown",
    "count_data",
    "counts",
    "cube_keys",
    "cube_provenance",
    "group_cells",
]


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
    return count_data(
        data,
        by,
        type_column=type_column,
        age_groups=age_groups,
        male_comparator=male_comparator,
        rules=rules,
        stacklevel=5,
    )


def count_data(
    data: pd.DataFrame,
    by: Sequence[str] | str,
    *,
    type_column: str,
    age_groups: str | AgeScheme | Sequence[int],
    male_comparator: bool,
    rules: RuleSet,
    stacklevel: int,
) -> pd.DataFrame:
    """:func:`counts` for femstat's own functions: a Dask frame's data-quality warning is
    placed ``stacklevel`` frames above the warning's origin, at the line of the public
    function's caller rather than inside femstat."""
    check_breakdown([by] if isinstance(by, str) else list(by))
    if is_dask_frame(data):  # partition by partition, cubes added (femstat.dask)
        return counts_of_partitions(
            data,
            by,
            type_column=type_column,
            age_groups=age_groups,
            male_comparator=male_comparator,
            rules=rules,
            stacklevel=stacklevel,
        )
    return count_frame(
        data,
        by,
        type_column=type_column,
        age_groups=age_groups,
        male_comparator=male_comparator,
        rules=rules,
    )

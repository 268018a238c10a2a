"""The Dask dispatch: where femstat sends a Dask DataFrame, and the engine that counts it.

Internal interface of the cube layer: not public API, stable within femstat.

This is the one place femstat recognises a Dask DataFrame (:func:`is_dask_frame`, without
importing Dask) and counts one: :func:`femstat.counts` and :func:`femstat.completeness`
(and through them :func:`femstat.indicators`) hand it to :func:`counts_of_partitions` or
:func:`completeness_of_partitions`, and :mod:`femstat.dask`, the public face with
Dask-specific options, calls the same functions. Each partition is validated, classified
and counted where it lives by :func:`femstat._cube.count_part`; the partition cubes travel
to the client, where :class:`femstat._cube.PartsAccumulator` adds them and runs the
whole-data checks. Dask itself is imported only when a Dask DataFrame is counted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd

from femstat._cube import Options, PartCounts, PartsAccumulator, count_part, shares
from femstat.ages import AgeScheme
from femstat.classify import UN_2022, RuleSet
from femstat.errors import FemstatError, require

__all__ = [
    "NotADaskFrameError",
    "accumulate",
    "check_frame",
    "completeness_of_partitions",
    "counts_of_partitions",
    "ids_lookup",
    "is_dask_frame",
    "merged_cube",
    "partition_options",
    "partition_results",
    "require_dask",
]

_SOURCE = "Dask DataFrame"


def is_dask_frame(obj: object) -> bool:
    """Whether ``obj`` is a Dask DataFrame, without importing Dask.

    A Dask DataFrame can only exist once ``dask.dataframe`` has been imported, so the
    check looks in :data:`sys.modules` and costs nothing when Dask is not in use.
    """
    module = sys.modules.get("dask.dataframe")
    frame_type = getattr(module, "DataFrame", None) if module is not None else None
    return isinstance(frame_type, type) and isinstance(obj, frame_type)


def require_dask() -> Any:
    """The ``dask`` module, or the error saying which extra to install."""
    require("dask.dataframe", "dask")
    import dask

    return dask


class NotADaskFrameError(FemstatError, TypeError):
    """A function of :mod:`femstat.dask` was given something else than a Dask DataFrame."""


def check_frame(ddf: object) -> None:
    """Refuse anything but a Dask DataFrame (:class:`NotADaskFrameError`)."""
    if not is_dask_frame(ddf):
        raise NotADaskFrameError(
            f"expected a Dask DataFrame, got {type(ddf).__name__}; for a pandas DataFrame "
            "use femstat.counts / femstat.indicators / femstat.completeness / femstat.validate"
        )


def partition_results(ddf: Any, options: Options) -> list[PartCounts]:
    """Run :func:`femstat._cube.count_part` on every partition, results in order."""
    dask = require_dask()
    # partial keeps the options out of Dask's argument traversal, which would take the
    # dataclasses apart and rebuild them on the workers.
    task = partial(count_part, options=options)
    delayed = [dask.delayed(task)(part) for part in ddf.to_delayed()]
    return list(dask.compute(*delayed))


def accumulate(options: Options, results: list[PartCounts]) -> PartsAccumulator:
    """The partitions' results added in order, as parts of one Dask DataFrame."""
    accumulator = PartsAccumulator(options, source=_SOURCE, unit="partition")
    for part in results:
        accumulator.add_counts(part)
    return accumulator


def ids_lookup(ddf: Any, results: list[PartCounts]) -> Any:
    """The ids at given global row positions, read back from their partitions."""
    bounds = np.concatenate([[0], np.cumsum([r.n_rows for r in results])])

    def lookup(positions: np.ndarray) -> np.ndarray:
        dask = require_dask()
        partition = np.searchsorted(bounds, positions, side="right") - 1
        wanted = [int(i) for i in np.unique(partition)]
        ids = ddf["victim_id"]
        parts = dask.compute(*[ids.partitions[i] for i in wanted])
        out = np.empty(len(positions), dtype=object)
        for i, values in zip(wanted, parts, strict=True):
            here = partition == i
            out[here] = values.to_numpy(dtype=object)[positions[here] - bounds[i]]
        return out

    return lookup


def merged_cube(ddf: Any, options: Options, *, stacklevel: int) -> pd.DataFrame:
    """The partitions' cubes added up, after the whole-data checks (one warning).

    The warning points ``stacklevel - 1`` frames above this function: at the user's line
    when that is where the public function was called.
    """
    results = partition_results(ddf, options)
    accumulator = accumulate(options, results)
    cube: pd.DataFrame = accumulator.finish(
        report=False, values_at=ids_lookup(ddf, results), stacklevel=stacklevel
    )
    return cube


def partition_options(
    ddf: Any,
    by: Sequence[str] | str | None,
    *,
    type_column: str,
    age_groups: str | AgeScheme | Sequence[int],
    male_comparator: bool,
    rules: RuleSet,
    check_unique_ids: bool,
    cube: Literal["counts", "completeness"] = "counts",
) -> Options:
    """The options every partition is counted with (``by=None``: validate only)."""
    return Options(
        by=None if by is None else tuple([by] if isinstance(by, str) else by),
        type_column=type_column,
        age_groups=age_groups if isinstance(age_groups, str | AgeScheme) else tuple(age_groups),
        male_comparator=male_comparator,
        rules=rules,
        mapping=None,
        check_unique_ids=check_unique_ids and "victim_id" in ddf.columns,
        cube=cube,
    )


def counts_of_partitions(
    ddf: Any,
    by: Sequence[str] | str = (),
    *,
    type_column: str = "femicide_type",
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    male_comparator: bool = False,
    rules: RuleSet = UN_2022,
    check_unique_ids: bool = True,
    stacklevel: int,
) -> pd.DataFrame:
    """:func:`femstat.dask.counts`; ``stacklevel`` places the warning (see :func:`merged_cube`)."""
    check_frame(ddf)
    options = partition_options(
        ddf,
        by,
        type_column=type_column,
        age_groups=age_groups,
        male_comparator=male_comparator,
        rules=rules,
        check_unique_ids=check_unique_ids,
    )
    return merged_cube(ddf, options, stacklevel=stacklevel)


def completeness_of_partitions(
    ddf: Any,
    by: Sequence[str] | str = (),
    *,
    rules: RuleSet = UN_2022,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    check_unique_ids: bool = True,
    stacklevel: int,
) -> pd.DataFrame:
    """:func:`femstat.dask.completeness`; ``stacklevel`` as for :func:`counts_of_partitions`."""
    check_frame(ddf)
    by_list = [by] if isinstance(by, str) else list(by)
    options = partition_options(
        ddf,
        by_list,
        type_column=rules.type_column,
        age_groups=age_groups,
        male_comparator=False,
        rules=rules,
        check_unique_ids=check_unique_ids,
        cube="completeness",
    )
    return shares(merged_cube(ddf, options, stacklevel=stacklevel), by_list)

"""femstat on Dask DataFrames: classify and count each partition, add the cubes.

:func:`femstat.counts`, :func:`femstat.indicators` and :func:`femstat.completeness` accept a
Dask DataFrame and count it with the partition engine of :mod:`femstat._dispatch`; the
functions below use the same engine, with Dask-specific options.
Each partition is validated, classified and counted where it lives, by the same pandas
functions femstat uses in memory; only the partition cubes (small) and, for the id check,
one 8-byte key per row travel to the client, which adds the cubes with
:func:`femstat.add_cubes`. The result is exactly the cube of the whole data, as if it had
been computed in memory. Completeness shares are taken from the added cube of their
counts, never per partition.

Why not validate with pandera on Dask? pandera's Dask backend runs the schema on each
partition separately. Checks that need the whole data then go wrong both ways: a
``victim_id`` repeated in two partitions passes (each partition alone is unique), and a
frame-wide rule (the table is not empty, a total) fails on a valid table whose partitions
happen to be empty or small. femstat validates partitions for what a partition can tell
(codes, types, ranges) and runs the whole-data checks once, on the merged key set and the
merged cube.

Read files so that codes stay text, as :func:`femstat.read` reads them: a CSV with
``dask.dataframe.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])``.
Dask's default type inference turns the area codes ``1.10`` into ``1.1`` and ``01`` into
``1``, and their counts would merge; with these options the cube equals that of
:func:`femstat.read` and :func:`femstat.stream.counts_from_file` on the same file.

Dask is an optional dependency: ``pip install 'femstat[dask]'``. Importing this module does
not import Dask; only calling its functions does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial
from typing import Any, Literal, overload

import pandas as pd

from femstat._cube import needed_columns
from femstat._dispatch import (
    NotADaskFrameError as NotADaskFrameError,  # raised here, importable from here
)
from femstat._dispatch import (
    accumulate,
    check_frame,
    completeness_of_partitions,
    counts_of_partitions,
    ids_lookup,
    is_dask_frame,
    partition_options,
    partition_results,
)
from femstat.ages import AgeScheme
from femstat.classify import UN_2022, RuleSet
from femstat.errors import require
from femstat.validate import ValidationReport
from femstat.validate import validate as _validate_frame

__all__ = [
    "completeness",
    "counts",
    "counts_from_parquet",
    "indicators",
    "is_dask_frame",
    "validate",
]


def counts(
    ddf: Any,
    by: Sequence[str] | str = (),
    *,
    type_column: str = "femicide_type",
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    male_comparator: bool = False,
    rules: RuleSet = UN_2022,
    check_unique_ids: bool = True,
) -> pd.DataFrame:
    """Count a Dask DataFrame's victims by a breakdown and type, partition by partition.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Victim microdata, raw, validated or classified, in any number of partitions.
    by, type_column, age_groups, male_comparator, rules :
        As for :func:`femstat.counts`.
    check_unique_ids : bool, default True
        Check that ``victim_id`` (when present) is unique across all partitions. Each
        partition sends one 8-byte key per row to the client, which sorts them once
        (about 16 bytes per row at that moment).

    Returns
    -------
    pandas.DataFrame
        The complete count cube, equal to ``femstat.counts(ddf.compute(), by, ...)``.
        Levels of free columns (``year``, ``area``) are the union over partitions.

    Raises
    ------
    femstat.ValidationError
        When a partition cannot be validated (rows are numbered 0-based over the whole
        frame, partitions in order), when ``victim_id`` repeats anywhere in the frame, or
        when it has no rows.

    Notes
    -----
    Partitions without ``type_column`` are validated (:func:`femstat.validate`) and
    classified with ``rules``; classified partitions are counted as they are. Unlike
    :func:`femstat.counts` on an in-memory frame, unclassified partitions are validated
    even when already canonical, because validation is where the ids are collected. The
    data-quality warnings of all partitions are emitted once, as one
    :class:`femstat.DataQualityWarning`. The whole computation runs in one pass
    (:func:`dask.compute` over the partitions); a second, narrow pass reads back
    ``victim_id`` values only when non-integer ids seem to repeat.
    """
    return counts_of_partitions(
        ddf,
        by,
        type_column=type_column,
        age_groups=age_groups,
        male_comparator=male_comparator,
        rules=rules,
        check_unique_ids=check_unique_ids,
        stacklevel=4,
    )


def counts_from_parquet(
    path: str | os.PathLike[str],
    by: Sequence[str] | str = (),
    *,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    male_comparator: bool = False,
    rules: RuleSet = UN_2022,
    check_unique_ids: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Count a directory of Parquet files (or one file) on a Dask cluster.

    The files are read with :func:`dask.dataframe.read_parquet`, only the columns the
    count needs, and counted partition by partition by :func:`counts` on whatever
    scheduler is active: a ``distributed.Client`` connected to a ``LocalCluster``, a
    ``dask-jobqueue`` cluster on an HPC batch system, or a Dask cluster on Kubernetes
    (see the performance page of the documentation). femstat runs no scheduler of its own.

    Parameters
    ----------
    path : str or path
        A Parquet file, a directory of them, or anything
        :func:`dask.dataframe.read_parquet` accepts (a glob, a remote URL).
    by, age_groups, male_comparator, rules, check_unique_ids :
        As for :func:`counts`.
    **kwargs
        Passed to :func:`dask.dataframe.read_parquet` (``storage_options``,
        ``split_row_groups``, ...).

    Returns
    -------
    pandas.DataFrame
        The complete count cube, equal to
        :func:`femstat.stream.counts_from_file` on the same files.

    Examples
    --------
    >>> from distributed import Client, LocalCluster  # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> cube = counts_from_parquet("register/", ["year", "area"])  # doctest: +SKIP
    """
    require("dask", "dask")
    import dask.dataframe as dd

    by_list = [by] if isinstance(by, str) else list(by)
    ddf = dd.read_parquet(path, **kwargs)
    needed = needed_columns(list(ddf.columns), by_list, rules, check_unique_ids)
    ddf = ddf[[c for c in ddf.columns if c in needed]]
    return counts(
        ddf,
        by_list,
        age_groups=age_groups,
        male_comparator=male_comparator,
        rules=rules,
        check_unique_ids=check_unique_ids,
    )


def indicators(
    ddf: Any,
    by: Sequence[str] | str = (),
    *,
    population: pd.DataFrame | None = None,
    type_column: str = "femicide_type",
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    rules: RuleSet = UN_2022,
    check_unique_ids: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Femicide indicators of a Dask DataFrame, computed from its merged count cube.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Victim microdata in any number of partitions.
    by, population, type_column, age_groups, rules :
        As for :func:`femstat.indicators`.
    check_unique_ids : bool, default True
        As for :func:`counts`.
    **kwargs
        Other options of :func:`femstat.indicators` (``level``, ``share_method``, ...).

    Returns
    -------
    pandas.DataFrame
        Equal to ``femstat.indicators(ddf.compute(), by, ...)``.

    Notes
    -----
    Only the cube crosses from Dask to pandas: the statistics (intervals, rates) are
    computed on the client from :func:`counts` with the male comparator.
    """
    from femstat.indicators import indicators as _indicators

    by_list = [by] if isinstance(by, str) else list(by)
    cube = counts_of_partitions(
        ddf,
        by_list,
        type_column=type_column,
        age_groups=age_groups,
        male_comparator=True,
        rules=rules,
        check_unique_ids=check_unique_ids,
        stacklevel=4,
    )
    return _indicators(
        cube,
        by_list,
        population=population,
        type_column=type_column,
        age_groups=age_groups,
        rules=rules,
        **kwargs,
    )


def completeness(
    ddf: Any,
    by: Sequence[str] | str = (),
    *,
    rules: RuleSet = UN_2022,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    check_unique_ids: bool = True,
) -> pd.DataFrame:
    """Completeness of a Dask DataFrame, from the partitions' added count cubes.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Victim microdata, raw, validated or classified, in any number of partitions.
    by, rules, age_groups :
        As for :func:`femstat.completeness`.
    check_unique_ids : bool, default True
        As for :func:`counts`.

    Returns
    -------
    pandas.DataFrame
        Equal to ``femstat.completeness(ddf.compute(), by, ...)``. Levels of free columns
        (``year``, ``area``) are the union over partitions.

    Raises
    ------
    femstat.ValidationError
        As for :func:`counts`.

    Notes
    -----
    Each partition is validated and classified as in :func:`counts`, then reduced to the
    integer counts the shares are made of (in-scope records, and those with each item
    unknown, per group). Only these count cubes travel to the client, which adds them and
    divides once; a share is never computed per partition.
    """
    return completeness_of_partitions(
        ddf, by, rules=rules, age_groups=age_groups, check_unique_ids=check_unique_ids, stacklevel=4
    )


def _validated_partition(df: pd.DataFrame, empty: pd.DataFrame) -> pd.DataFrame:
    if len(df) == 0:
        return empty  # validate refuses an empty table; the whole frame was checked
    out: pd.DataFrame = _validate_frame(df, report=True)[0]
    return out


@overload
def validate(ddf: Any, *, check_unique_ids: bool = ..., report: Literal[False] = ...) -> Any: ...


@overload
def validate(
    ddf: Any, *, check_unique_ids: bool = ..., report: Literal[True]
) -> tuple[Any, ValidationReport]: ...


def validate(
    ddf: Any, *, check_unique_ids: bool = True, report: bool = False
) -> Any | tuple[Any, ValidationReport]:
    """Validate a Dask DataFrame: partition checks everywhere, whole-data checks once.

    Runs one pass over the data now (validating every partition and collecting the ids),
    raises if anything is wrong, and returns the validated frame lazily: each partition
    is validated again when the result is computed, so persist it if you reuse it.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Raw victim microdata.
    check_unique_ids : bool, default True
        Check ``victim_id`` across all partitions (see :func:`counts`).
    report : bool, default False
        Also return the merged :class:`femstat.ValidationReport`; otherwise its warnings
        are emitted once.

    Returns
    -------
    dask.dataframe.DataFrame or (dask.dataframe.DataFrame, ValidationReport)
        The validated frame in canonical dtypes. Categorical columns whose categories
        differ between partitions (``area``, ``iccs_code``) have unknown categories in
        its metadata.

    Raises
    ------
    femstat.ValidationError
        As :func:`femstat.validate` would for ``ddf.compute()``; row positions are
        0-based over the whole frame, partitions in order.
    """
    check_frame(ddf)
    dd: Any = require("dask.dataframe", "dask")
    options = partition_options(
        ddf,
        None,
        type_column=UN_2022.type_column,  # by=None: every partition is validated
        age_groups="unodc",
        male_comparator=False,
        rules=UN_2022,
        check_unique_ids=check_unique_ids,
    )
    results = partition_results(ddf, options)
    accumulator = accumulate(options, results)
    merged = accumulator.check_whole(ids_lookup(ddf, results))
    metas = [r.meta for r in results if r.meta is not None]
    meta = metas[0]
    empty = meta.copy()
    varying = [
        name
        for name in meta.columns
        if isinstance(meta[name].dtype, pd.CategoricalDtype)
        and any(m[name].dtype != meta[name].dtype for m in metas[1:])
    ]
    if varying:
        meta = dd.utils.clear_known_categories(meta, cols=varying)
    validated = ddf.map_partitions(partial(_validated_partition, empty=empty), meta=meta)
    if report:
        return validated, merged
    accumulator.warn(merged, stacklevel=2)
    return validated


# --------------------------------------------------------------------------------------
# Estimates with uncertainty

__all__ += ["estimate"]


def estimate(
    ddf: Any,
    by: Sequence[str] | str | None = None,
    population: pd.DataFrame | float | None = None,
    *,
    method: str = "impute",
    m: int = 50,
    seed: int | None = None,
    level: float = 0.95,
    covariates: Sequence[str] | None = None,
    rules: RuleSet | None = None,
    delta: float = 0.0,
    per: float = 100_000,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    progress: bool | None = None,
) -> pd.DataFrame:
    """:func:`femstat.estimate` of a classified Dask DataFrame, partition by partition.

    Each partition is checked against the rule set (as :func:`femstat.estimate` checks a
    frame) and reduced to the count cube the estimate works from, on the workers; the
    models are fitted to, and the imputations drawn on, the merged cube. The result is
    ``fs.estimate(ddf.compute(), ...)``, number for number for the same seed, however
    the frame is partitioned.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Classified victims (``fs.classify`` applied to each partition, e.g.
        ``ddf.map_partitions(fs.classify)``).
    by, population, method, m, seed, level, covariates, rules, delta, per, age_groups,
    progress :
        As for :func:`femstat.estimate`.

    Returns
    -------
    pandas.DataFrame
        As :func:`femstat.estimate`.
    """
    check_frame(ddf)
    require("dask", "dask")
    from femstat.estimates import _estimate_dask

    return _estimate_dask(
        ddf,
        by,
        population,
        progress=progress,
        rules=rules,
        method=method,
        m=m,
        seed=seed,
        level=level,
        covariates=covariates,
        delta=delta,
        per=per,
        age_groups=age_groups,
    )

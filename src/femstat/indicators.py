"""Indicator tables: count cubes and populations to counts, shares, rates and intervals.

Every function here takes microdata (classified or not) or a count cube, reduces it to a
cube with :func:`femstat.counts`, and computes on the cube's arrays: one vectorised call
per statistic for all groups at once. The interval maths lives in :mod:`femstat.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.ages import AgeScheme, age_scheme
from femstat.classify import UN_2022, RuleSet
from femstat.counts import (
    COMPARATOR_CLASSES,
    PROVENANCE,
    check_breakdown,
    count_data,
    cube_keys,
    cube_provenance,
)
from femstat.errors import FemstatError, PopulationError
from femstat.stats import (
    binomial_interval,
    direct_standardised_rate,
    poisson_interval,
    standard_population,
)
from femstat.stats.standard_populations import StandardPopulation

__all__ = [
    "INDICATOR_ROWS",
    "age_standardised_rates",
    "bounds",
    "indicators",
    "level_suffix",
]

INDICATOR_ROWS: tuple[str, ...] = (
    *C.FEMICIDE_TYPES,
    "femicide",
    "female_homicide",
    "partner_or_family",
    "male_partner_or_family",
)
"""Rows of an indicator table per group: the types, the totals, UNODC's headline
(``partner_or_family``: killed by an intimate partner or family member) and its male
comparator."""

_IN_SCOPE = C.IN_SCOPE_TYPES
_NO_SHARE = {"out_of_scope"}  # not part of female homicide: no share, no rate


def _total(classes: dict[str, np.ndarray], names: Sequence[str]) -> np.ndarray:
    """Sum of the count columns ``names`` of a widened cube."""
    return np.asarray(np.sum([classes[name] for name in names], axis=0), dtype=np.int64)


class IndicatorError(FemstatError, ValueError):
    """A request for indicators that cannot be met as asked."""


def level_suffix(level: float) -> str:
    """Column suffix of a confidence level: 0.95 gives ``"95"``, 0.998 gives ``"99_8"``."""
    return f"{level * 100:g}".replace(".", "_")


def _levels(level: float | Sequence[float]) -> list[float]:
    levels = [float(level)] if isinstance(level, int | float) else [float(x) for x in level]
    if not levels:
        raise IndicatorError("give at least one confidence level, e.g. level=0.95")
    return levels


@dataclass(frozen=True)
class _Wide:
    """A cube pivoted to one row per group: the group keys and a count column per class."""

    keys: pd.DataFrame
    classes: dict[str, np.ndarray]


def _as_cube(
    data: pd.DataFrame,
    by: Sequence[str],
    *,
    type_column: str,
    age_groups: str | AgeScheme | Sequence[int],
    rules: RuleSet,
    stacklevel: int = 6,
) -> pd.DataFrame:
    if "count" in data.columns and type_column in data.columns:
        keys = [k for k in cube_keys(data) if k != type_column]
        if sorted(keys) != sorted(by):
            missing = sorted(set(by) - set(keys))
            if missing:
                raise IndicatorError(
                    f"the cube has no column(s) {missing}; its breakdown is {keys}"
                )
            from femstat.counts import add_cubes

            # Collapse the dimensions not asked for, then complete again.
            collapsed = data.groupby([*by, type_column], observed=True, sort=False)["count"].sum()
            cube = collapsed.reset_index()
            provenance = cube_provenance(data)
            if provenance is not None:  # the record follows the collapse
                provenance["breakdown"] = list(by)
                if "age_group" not in by:
                    provenance["age_scheme"] = None
            cube.attrs = {} if provenance is None else {PROVENANCE: provenance}
            return add_cubes(cube)
        return data
    return count_data(
        data,
        by,
        type_column=type_column,
        age_groups=age_groups,
        rules=rules,
        male_comparator=True,
        stacklevel=stacklevel,
    )


def _widen(cube: pd.DataFrame, by: Sequence[str], type_column: str) -> _Wide:
    types = cube[type_column].astype(str).to_numpy()
    labels = list(dict.fromkeys(types))
    n_classes = len(labels)
    if len(cube) % n_classes:
        raise IndicatorError("the cube is not complete: every group needs every type row")
    # A complete cube from femstat lists the type fastest, so a reshape is the pivot.
    matrix = cube["count"].to_numpy(dtype=np.int64).reshape(-1, n_classes)
    keys = cube.iloc[::n_classes][list(by)].reset_index(drop=True)
    if not (types.reshape(-1, n_classes) == np.array(labels)).all():
        pivot = cube.pivot_table(
            index=list(by),
            columns=type_column,
            values="count",
            aggfunc="sum",
            observed=True,
            sort=False,
        )
        keys = pivot.index.to_frame(index=False)
        matrix = pivot.to_numpy(dtype=np.int64)
        labels = [str(c) for c in pivot.columns]
    classes = {label: matrix[:, i] for i, label in enumerate(labels)}
    missing = [t for t in C.FEMICIDE_TYPES if t not in classes]
    if missing:
        raise IndicatorError(f"the cube lacks the type(s) {missing}; count with femstat.counts")
    return _Wide(keys, classes)


_DERIVED_KEYS = frozenset({"age_group", "relationship_group"})


def _shown(column: str) -> bool:
    """Whether values of ``column`` may appear in a message: code and key columns only."""
    from femstat.schemas import is_sensitive, victim_variables

    return not is_sensitive(column) and (
        column in victim_variables() or column in _DERIVED_KEYS or column == "sex"
    )


def _domain(values: pd.Series) -> str:
    """How the data's key column compares: as whole numbers, as numbers, or as text."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "text"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    return "text"


def _as_domain(values: pd.Series, domain: str, column: str, data_dtype: object) -> np.ndarray:
    """A population key column as the data's key type (:func:`_domain`).

    Years given as ``2015.0`` or ``"2015"`` match the data's ``2015``; a value that is not
    one of the data's type (``2015.5``, ``"2015a"``) is an error naming both types.
    """
    plain = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
    missing = pd.isna(plain).to_numpy()
    if missing.any():
        raise PopulationError(
            f"the population's {column!r} column has {int(missing.sum())} missing value(s) "
            f"(rows {np.flatnonzero(missing)[:5].tolist()}); every population row needs "
            "its keys: fill or drop them"
        )
    if domain == "text":
        if pd.api.types.is_numeric_dtype(plain.dtype) and not pd.api.types.is_bool_dtype(
            plain.dtype
        ):
            number = plain.to_numpy(dtype=np.float64)
            if np.all(number == np.round(number)):
                return np.array([str(int(x)) for x in number], dtype=object)
            bad = np.flatnonzero(number != np.round(number))
            _type_error(column, values, data_dtype, bad, "whole numbers or text")
        return plain.astype(str).to_numpy(dtype=object)
    number = pd.to_numeric(plain, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(np.isnan(number))
    if domain == "integer":
        bad = np.flatnonzero(np.isnan(number) | (number != np.round(number)))
    if len(bad):
        _type_error(column, values, data_dtype, bad, f"{domain} values")
    return number.astype(np.int64) if domain == "integer" else number


def _type_error(
    column: str, values: pd.Series, data_dtype: object, bad: np.ndarray, wanted: str
) -> None:
    shown = (
        f"e.g. {values.iloc[bad[:5]].tolist()}" if _shown(column) else f"rows {bad[:5].tolist()}"
    )
    raise PopulationError(
        f"the population's {column!r} column is {values.dtype} and the data's is "
        f"{data_dtype}: {len(bad)} population row(s), {shown}, are not {wanted} as in the "
        f"data, so they cannot be matched. Convert the population's {column!r} to the "
        "data's type."
    )


def _normalised(keys: pd.DataFrame, columns: Sequence[str]) -> list[np.ndarray]:
    """The data's key columns as the values they are compared by."""
    out: list[np.ndarray] = []
    for column in columns:
        values = keys[column]
        domain = _domain(values)
        plain = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
        if domain == "text":
            out.append(plain.astype(str).to_numpy(dtype=object))
        else:
            out.append(plain.to_numpy(dtype=np.int64 if domain == "integer" else np.float64))
    return out


def _index(columns: Sequence[np.ndarray], n: int) -> pd.Index:
    if not columns:
        return pd.RangeIndex(n)
    if len(columns) == 1:
        return pd.Index(columns[0])
    return pd.MultiIndex.from_arrays(list(columns))


def _population_table(population: pd.DataFrame | float) -> pd.DataFrame:
    """The population as a table; a single positive number is one denominator for all."""
    if isinstance(population, pd.DataFrame):
        if "population" not in population.columns:
            raise PopulationError(
                "the population table has no 'population' column; name the denominator "
                "column 'population'"
            )
        return population
    if isinstance(population, int | float | np.integer | np.floating) and not isinstance(
        population, bool | np.bool_
    ):
        return pd.DataFrame({"population": [float(population)]})
    raise PopulationError(
        f"population must be a DataFrame with a 'population' column or one number, got "
        f"{type(population).__name__}; pass e.g. pd.DataFrame({{'year': [...], "
        "'population': [...]}})"
    )


def _population_keys(population: pd.DataFrame) -> list[str]:
    return [c for c in population.columns if c not in ("population", "sex")]


def _with_population_groups(
    cube: pd.DataFrame, by: Sequence[str], population: pd.DataFrame, type_column: str
) -> pd.DataFrame:
    """The cube with zero rows for the population's groups that have no records.

    A year or area listed in the population but without a single victim is a real zero:
    without it, a rate table would skip the group and a trend would fit the other years
    only. Code columns (age groups, code lists) already have every level in a cube; the
    free columns (``year``, ``area``) get the population's levels added.
    """
    from femstat._cube import is_declared
    from femstat.counts import add_cubes

    free = [k for k in _population_keys(population) if k in by and not is_declared(cube[k].dtype)]
    if not free or not len(cube):
        return cube  # no free key, or no cells to take the other keys' levels from
    table = population[free].drop_duplicates()
    wanted = [_as_domain(table[k], _domain(cube[k]), k, cube[k].dtype) for k in free]
    have = set(zip(*_normalised(cube, free), strict=True))
    new = [i for i, key in enumerate(zip(*wanted, strict=True)) if key not in have]
    if not new:
        return cube
    rows = np.asarray(new)
    zero: dict[str, Any] = {}
    for name in [*by, type_column]:
        column = cube[name]
        if name in free:
            values = wanted[free.index(name)][rows]
            if isinstance(column.dtype, pd.CategoricalDtype):
                zero[name] = pd.Categorical(values)
            else:
                zero[name] = pd.array(values).astype(column.dtype)
        else:
            # Any level will do: add_cubes completes the product of the levels.
            zero[name] = column.array.take(np.zeros(len(rows), dtype=np.int64))
    zero["count"] = np.zeros(len(rows), dtype=np.int64)
    frame = pd.DataFrame(zero)
    frame = frame[list(cube.columns)]
    frame.attrs = dict(cube.attrs)
    return add_cubes(cube, frame)


def _population_for(
    keys: pd.DataFrame,
    population: pd.DataFrame,
    sex: str,
    by: Sequence[str],
    *,
    unknown_age_without: bool = False,
) -> np.ndarray | None:
    """Population of each group for one sex; None when the table has no such rows.

    Keys are compared as the data's type: a population year of ``2015.0`` or ``"2015"``
    matches the data's ``2015``. With ``unknown_age_without``, the groups of unknown age
    that the population has no row for get no population (NaN: a count without a rate)
    rather than an error; no population counts the women of unknown age.
    """
    table = _population_table(population)
    if "sex" in table.columns:
        table = table[table["sex"].astype(str) == sex]
        if table.empty:
            return None
    elif sex != "female":
        return None
    pop_keys = _population_keys(table)
    extra = [k for k in pop_keys if k not in by]
    if extra:
        raise PopulationError(
            f"the population table is keyed by {pop_keys}, but {extra} is not in the "
            f"breakdown {list(by)}; add it to by= or aggregate the population first"
        )
    values = pd.to_numeric(table["population"], errors="coerce").to_numpy(dtype=np.float64)
    if not pop_keys:
        if len(values) != 1:
            raise PopulationError(
                f"a population table without key columns must have one row, it has "
                f"{len(values)}; add the key columns (e.g. year, area) or sum the rows"
            )
        found = np.full(len(keys), values[0])
    else:
        pop_columns = [_as_domain(table[k], _domain(keys[k]), k, keys[k].dtype) for k in pop_keys]
        lookup_index = _index(pop_columns, len(table))
        duplicated = lookup_index.duplicated(keep=False)
        if duplicated.any():
            where = np.flatnonzero(duplicated)
            shown = (
                f"e.g. {table[pop_keys].iloc[where[:5]].astype(str).to_dict('records')}"
                if all(_shown(k) for k in pop_keys)
                else f"rows {where[:5].tolist()}"
            )
            raise PopulationError(
                f"the population table has {len(where)} rows with repeated keys "
                f"{pop_keys}, {shown}; keep one row per group"
            )
        lookup = pd.Series(values, index=lookup_index)
        wanted = _index(_normalised(keys, pop_keys), len(keys))
        found = lookup.reindex(wanted).to_numpy(dtype=np.float64)
    bad = ~np.isfinite(found) | (found <= 0)
    if unknown_age_without and "age_group" in pop_keys:
        bad &= ~(np.isnan(found) & (keys["age_group"].astype(str) == "unknown").to_numpy())
    if bad.any():
        where = np.flatnonzero(bad)
        if not pop_keys:
            examples: object = []
        elif all(_shown(k) for k in pop_keys):
            examples = keys[pop_keys].iloc[where[:5]].astype(str).to_dict("records")
        else:
            examples = f"groups {where[:5].tolist()}"
        kind = "missing" if np.isnan(found[where[0]]) else "zero or negative"
        raise PopulationError(
            f"{len(where)} group(s) have a {kind} {sex} population, e.g. {examples}; "
            "every group needs a positive denominator: "
            + _age_groups_hint(table, keys, keys.iloc[where], pop_keys)
        )
    return found


def _age_groups_hint(
    table: pd.DataFrame, keys: pd.DataFrame, lacking: pd.DataFrame, pop_keys: list[str]
) -> str:
    """What to do about the groups ``lacking`` a denominator, among the breakdown's
    ``keys``: regroup the population's ages if they are in other bands than the
    breakdown's (five-year bands against UNODC's groups, say); leave out the unknown
    ages, which no population has."""
    if "age_group" not in pop_keys:
        return "complete the population table"
    have = set(table["age_group"].astype(str))
    used = set(keys["age_group"].astype(str))
    missing = set(lacking["age_group"].astype(str))
    if missing == {"unknown"}:
        return (
            "no population counts the women of unknown age; fs.indicators and fs.bounds "
            "give that group counts without a rate, and here rates need a breakdown "
            "without age_group"
        )
    if have <= used:  # the breakdown's own groups, some of them absent
        return "complete the population table"
    return (
        f"the population's age groups {sorted(have)[:6]} are not the breakdown's "
        f"{sorted(used - {'unknown'})[:6]}; sum its bands into the breakdown's groups "
        "first, e.g. femstat.ages.regroup(population, 'unodc', apportion=True), which "
        "shares a band across two groups (15-19) out by years of age"
    )


def indicators(
    data: pd.DataFrame,
    by: Sequence[str] | str = (),
    *,
    population: pd.DataFrame | float | None = None,
    level: float | Sequence[float] = 0.95,
    share_method: str = "wilson",
    rate_method: str = "exact",
    per: float = 100_000,
    min_reliable: int = 20,
    type_column: str = "femicide_type",
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    rules: RuleSet = UN_2022,
) -> pd.DataFrame:
    """Femicide indicators per group: counts, shares and rates with confidence intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        Microdata (raw, validated or classified) or a count cube from
        :func:`femstat.counts`.
    by : str or sequence of str
        Breakdown columns (``"age_group"`` groups ages by ``age_groups``).
    population : pandas.DataFrame or float, optional
        Denominators: a ``population`` column keyed by some or all of the ``by`` columns;
        in long form with a ``sex`` column to give male denominators too. A table without
        key columns (one row) or a single number is one denominator for every group.
        Groups of the population without a victim record (a year or an area with no
        killing) are rows with a count of zero, not dropped. Keys are compared as the
        data's type: a year ``2015.0`` or ``"2015"`` matches ``2015``; a key that is not
        one (``2015.5``) raises :class:`femstat.PopulationError` naming both dtypes, and
        so does a victim group without population, except the ``unknown`` age group:
        no population counts the women of unknown age, so its rows have counts and shares
        and no rate. A population in other age bands than the breakdown's (five-year
        bands) is refused with what to do (:func:`femstat.ages.regroup`).
    level : float or sequence of float, default 0.95
        Confidence level(s). The first gives ``share_lower`` etc.; each further level adds
        columns suffixed with :func:`level_suffix` (``rate_lower_99_8``).
    share_method : {"wilson", "clopper-pearson", "mid-p", "jeffreys"}
        Interval of shares (:func:`femstat.stats.binomial_interval`).
    rate_method : {"exact", "byar", "mid-p", "jeffreys"}
        Interval of rates (:func:`femstat.stats.poisson_interval`).
    per : float, default 100,000
    min_reliable : int, default 20
        Rates from fewer events are flagged ``reliable = False``.
    type_column, age_groups, rules :
        As for :func:`femstat.counts`.

    Returns
    -------
    pandas.DataFrame
        One row per group and ``femicide_type`` (:data:`INDICATOR_ROWS`): ``count``,
        ``share_denominator``, ``share``, ``share_lower``, ``share_upper``, ``reliable``,
        and with a population ``population``, ``rate``, ``rate_lower``, ``rate_upper``.
        Shares are of female homicide victims (for ``male_partner_or_family``, of male
        homicide victims); ``out_of_scope`` has no share or rate.

    Notes
    -----
    Shares use the Wilson score interval (Wilson 1927) or the Clopper-Pearson exact
    interval (Clopper and Pearson 1934); rates use Garwood's exact Poisson interval
    (Garwood 1936) or Byar's approximation (Breslow and Day 1987). See
    :mod:`femstat.stats.intervals` for the formulas.

    References
    ----------
    .. [1] UNODC and UN Women (2022). Statistical framework for measuring the
       gender-related killing of women and girls (femicide/feminicide).
    """
    by = [by] if isinstance(by, str) else list(by)
    check_breakdown(by)
    levels = _levels(level)
    cube = _as_cube(data, by, type_column=type_column, age_groups=age_groups, rules=rules)
    if population is not None:
        population = _population_table(population)
        cube = _with_population_groups(cube, by, population, type_column)
    wide = _widen(cube, by, type_column)
    cls = wide.classes
    female_homicide = _total(cls, _IN_SCOPE)
    rows: dict[str, np.ndarray] = {t: cls[t] for t in C.FEMICIDE_TYPES}
    rows["femicide"] = _total(cls, C.FEMICIDE)
    rows["female_homicide"] = female_homicide
    rows["partner_or_family"] = _total(cls, C.PARTNER_OR_FAMILY)
    has_male = all(c in cls for c in COMPARATOR_CLASSES)
    if has_male:
        rows["male_partner_or_family"] = cls["male_partner_or_family"]
    names = list(rows)
    n_groups = len(wide.keys)
    n_rows = len(names)

    count = np.stack([rows[name] for name in names], axis=1).ravel()  # group-major
    denominators = np.full((n_groups, n_rows), np.nan)
    for j, name in enumerate(names):
        if name == "male_partner_or_family":
            denominators[:, j] = cls["male_homicide"]
        elif name not in _NO_SHARE:
            denominators[:, j] = female_homicide
    denominator = denominators.ravel()

    out = wide.keys.loc[np.repeat(np.arange(n_groups), n_rows)].reset_index(drop=True)
    out[type_column] = pd.Categorical(np.tile(names, n_groups), categories=list(INDICATOR_ROWS))
    out["count"] = count
    out["share_denominator"] = denominator
    has_share = np.isfinite(denominator) & (denominator > 0)
    share = np.full(len(count), np.nan)
    share[has_share] = count[has_share] / denominator[has_share]
    out["share"] = share
    for i, lvl in enumerate(levels):
        suffix = "" if i == 0 else f"_{level_suffix(lvl)}"
        lower = np.full(len(count), np.nan)
        upper = np.full(len(count), np.nan)
        lo, up = binomial_interval(
            count[has_share], denominator[has_share], level=lvl, method=share_method
        )
        lower[has_share], upper[has_share] = lo, up
        out[f"share_lower{suffix}"] = lower
        out[f"share_upper{suffix}"] = upper
    out["reliable"] = count >= min_reliable

    if population is not None:
        female_pop = _population_for(wide.keys, population, "female", by, unknown_age_without=True)
        male_pop = (
            _population_for(wide.keys, population, "male", by, unknown_age_without=True)
            if has_male
            else None
        )
        pops = np.full((n_groups, n_rows), np.nan)
        for j, name in enumerate(names):
            if name == "male_partner_or_family":
                if male_pop is not None:
                    pops[:, j] = male_pop
            elif name not in _NO_SHARE and female_pop is not None:
                pops[:, j] = female_pop
        pop = pops.ravel()
        has_rate = np.isfinite(pop)
        out["population"] = pop
        rate = np.full(len(count), np.nan)
        rate[has_rate] = count[has_rate] / pop[has_rate] * per
        out["rate"] = rate
        for i, lvl in enumerate(levels):
            suffix = "" if i == 0 else f"_{level_suffix(lvl)}"
            lo, up = poisson_interval(count[has_rate], level=lvl, method=rate_method)
            lower = np.full(len(count), np.nan)
            upper = np.full(len(count), np.nan)
            lower[has_rate] = lo / pop[has_rate] * per
            upper[has_rate] = up / pop[has_rate] * per
            out[f"rate_lower{suffix}"] = lower
            out[f"rate_upper{suffix}"] = upper
    out.attrs["femstat"] = _metadata(
        levels=levels,
        share_method=share_method,
        rate_method=rate_method,
        per=per,
        rules=rules,
        min_reliable=min_reliable,
    )
    return out


def _metadata(**fields: Any) -> dict[str, Any]:
    from femstat import __version__

    rules = fields.pop("rules", None)
    meta = {"femstat_version": __version__, **fields}
    if isinstance(rules, RuleSet):
        meta["rule_set"] = rules.name
    return meta


def bounds(
    data: pd.DataFrame,
    by: Sequence[str] | str = (),
    *,
    population: pd.DataFrame | float | None = None,
    per: float = 100_000,
    type_column: str = "femicide_type",
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    rules: RuleSet = UN_2022,
) -> pd.DataFrame:
    """Lower and upper bounds of the number of femicides per group.

    The lower bound counts the femicides identified as such (intimate partner, family
    member, other perpetrator with a criterion); the upper bound adds the undetermined
    records, which may or may not be femicides.

    Parameters
    ----------
    data, by, type_column, age_groups, rules :
        As for :func:`indicators`.
    population : pandas.DataFrame or float, optional
        As for :func:`indicators`: groups of the population without records are zeros.
    per : float, default 100,000

    Returns
    -------
    pandas.DataFrame
        One row per group: ``female_homicide``, ``lower``, ``upper``, ``lower_share`` and
        ``upper_share`` (of female homicide), and with a population ``population``,
        ``lower_rate`` and ``upper_rate``.
    """
    by = [by] if isinstance(by, str) else list(by)
    check_breakdown(by)
    cube = _as_cube(data, by, type_column=type_column, age_groups=age_groups, rules=rules)
    if population is not None:
        population = _population_table(population)
        cube = _with_population_groups(cube, by, population, type_column)
    wide = _widen(cube, by, type_column)
    cls = wide.classes
    lower = _total(cls, C.FEMICIDE)
    upper = lower + cls["undetermined"]
    female_homicide = _total(cls, _IN_SCOPE)
    out = wide.keys.copy()
    out["female_homicide"] = female_homicide
    out["lower"] = lower
    out["upper"] = upper
    with np.errstate(invalid="ignore", divide="ignore"):
        out["lower_share"] = np.where(female_homicide > 0, lower / female_homicide, np.nan)
        out["upper_share"] = np.where(female_homicide > 0, upper / female_homicide, np.nan)
    if population is not None:
        pop = _population_for(wide.keys, population, "female", by, unknown_age_without=True)
        assert pop is not None
        out["population"] = pop
        out["lower_rate"] = lower / pop * per
        out["upper_rate"] = upper / pop * per
    return out


_OF = {
    **{t: (t,) for t in _IN_SCOPE},
    "femicide": C.FEMICIDE,
    "female_homicide": _IN_SCOPE,
    "partner_or_family": C.PARTNER_OR_FAMILY,
}


@dataclass(frozen=True)
class _AgeInputs:
    """The inputs of a standardisation: one row per group, one column per age band."""

    keys: pd.DataFrame
    counts: np.ndarray
    unknown: np.ndarray
    population: np.ndarray
    standard: StandardPopulation


def _standardisation_inputs(
    data: pd.DataFrame,
    by: list[str],
    population: pd.DataFrame,
    standard: str | StandardPopulation,
    of: str,
    type_column: str,
    rules: RuleSet,
) -> _AgeInputs:
    """Counts and populations by group and age band of ``standard``, and unknown ages."""
    std = standard_population(standard) if isinstance(standard, str) else standard
    scheme = age_scheme(list(std.lower_ages))
    bands = list(std.labels)
    if list(scheme.known_labels) != bands:
        raise IndicatorError(f"standard {std.name!r} has bands that femstat cannot name: {bands}")
    if "age_group" not in population.columns:
        raise PopulationError(
            "age-standardised rates need a population with an 'age_group' column in the "
            f"standard's bands: {bands}"
        )
    pop_bands = set(population["age_group"].astype(str))
    if pop_bands != set(bands):
        raise PopulationError(
            f"the population's age groups do not match the {std.name} standard: missing "
            f"{[b for b in bands if b not in pop_bands]}, not in the standard "
            f"{sorted(pop_bands - set(bands))}. Regroup the population into the standard's "
            "bands; femstat never drops or merges a band silently."
        )
    if "count" in data.columns:
        if "age_group" not in data.columns:
            raise IndicatorError("the cube has no age_group column; count by age_group")
        cube_bands = set(data["age_group"].astype(str)) - {"unknown"}
        if not cube_bands <= set(bands):
            raise IndicatorError(
                f"the cube's age groups {sorted(cube_bands - set(bands))} are not bands of "
                f"the {std.name} standard; count with age_groups matching the standard"
            )
        cube = _as_cube(
            data, [*by, "age_group"], type_column=type_column, age_groups=scheme, rules=rules
        )
    else:
        cube = count_data(
            data,
            [*by, "age_group"],
            type_column=type_column,
            age_groups=scheme,
            rules=rules,
            male_comparator=False,
            stacklevel=6,
        )
    cube = _with_population_groups(cube, [*by, "age_group"], population, type_column)
    wide = _widen(cube, [*by, "age_group"], type_column)
    selected = _total(wide.classes, _OF[of]).astype(np.float64)
    n_bands = len(bands)
    keys = wide.keys
    band = pd.Categorical(keys["age_group"].astype(str), categories=[*bands, "unknown"])
    band_code = np.asarray(band.codes)
    known = (band_code >= 0) & (band_code < n_bands)
    if by:
        group_id = keys.groupby(by, sort=False, observed=True).ngroup().to_numpy()
        group_keys = keys[by].drop_duplicates().reset_index(drop=True)
    else:
        group_id = np.zeros(len(keys), dtype=np.int64)
        group_keys = pd.DataFrame(index=range(1))
    n_groups = len(group_keys)
    matrix = np.zeros((n_groups, n_bands))
    np.add.at(matrix, (group_id[known], band_code[known]), selected[known])
    unknown_age_count = np.bincount(group_id[~known], weights=selected[~known], minlength=n_groups)
    # Population for every group and band, in the matrix's order.
    grid = group_keys.loc[np.repeat(np.arange(n_groups), n_bands)].reset_index(drop=True)
    grid["age_group"] = np.tile(bands, n_groups)
    pop_values = _population_for(grid, population, "female", [*by, "age_group"])
    assert pop_values is not None
    pop_matrix = pop_values.reshape(n_groups, n_bands)
    return _AgeInputs(group_keys, matrix, unknown_age_count, pop_matrix, std)


def age_standardised_rates(
    data: pd.DataFrame,
    by: Sequence[str] | str = (),
    *,
    population: pd.DataFrame,
    standard: str | StandardPopulation = "esp2013",
    of: str = "femicide",
    level: float | Sequence[float] = 0.95,
    method: str = "fay-feuer",
    per: float = 100_000,
    unknown_age: str = "drop",
    type_column: str = "femicide_type",
    rules: RuleSet = UN_2022,
) -> pd.DataFrame:
    """Directly age-standardised rates per group, with confidence intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        Microdata, or a cube with an ``age_group`` column in the standard's bands.
    by : str or sequence of str
        Breakdown columns (not ``age_group``, which is the standardisation axis).
    population : pandas.DataFrame
        Female population with an ``age_group`` column whose labels are exactly the
        standard's bands (``"0-4"``, ..., ``"85+"``), keyed by some or all of ``by``.
        Groups of the population without records are zeros, as in :func:`indicators`.
    standard : str or StandardPopulation, default ``"esp2013"``
        ``"who2000"``, ``"segi1960"``, ``"esp2013"`` or a custom table.
    of : str, default ``"femicide"``
        What to count: a femicide type, ``"femicide"``, ``"female_homicide"`` or
        ``"partner_or_family"``.
    level, method, per :
        Confidence level(s); ``"fay-feuer"`` (default), ``"tiwari"`` or ``"dobson"``.
    unknown_age : {"drop", "redistribute"}, default "drop"
        What the standardised rate does with records of unknown age. ``"drop"`` leaves them
        out (the rate then counts only records with a known age, an underestimate when ages
        are missing); ``"redistribute"`` shares them among the age bands of their group in
        proportion to the records of known age (see Notes). Either way ``count_unknown_age``
        shows how many there are.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``count`` (records with a known age), ``count_unknown_age``
        (shown so that nothing disappears unseen), ``population``, ``crude_rate`` (all
        records over the population, the ``rate`` of :func:`indicators` for the same group),
        ``rate`` (standardised), ``rate_lower`` and ``rate_upper`` (plus suffixed columns for
        further levels). ``attrs["femstat"]`` records ``unknown_age``.

    Notes
    -----
    Direct standardisation with gamma intervals (Fay and Feuer 1997), Tiwari et al.'s
    modification (2006) or Dobson et al.'s method (1991); see
    :func:`femstat.stats.direct_standardised_rate`.

    **Redistributing unknown ages** assumes that, within a group, the victims whose age is
    unknown have the age distribution of those whose age is known (missing at random given
    the group). The standardised rate is then the rate on known ages multiplied by
    (known + unknown) / known, and its interval treats all records as Poisson events; it
    does not include the uncertainty of the allocation itself. A group whose records all
    lack an age has them shared in proportion to its population (the same rate in every
    band). When ages are missing more often for some ages than others (e.g. for older
    victims found long after death) neither choice is unbiased: report
    ``count_unknown_age`` beside the rate.
    """
    by = [by] if isinstance(by, str) else list(by)
    check_breakdown(by)
    if "age_group" in by:
        raise IndicatorError("age_group is the standardisation axis; leave it out of by")
    if of not in _OF:
        raise IndicatorError(f"of={of!r} is not one of {sorted(_OF)}")
    if unknown_age not in ("drop", "redistribute"):
        raise IndicatorError(
            f"unknown_age={unknown_age!r} is not one of 'drop', 'redistribute'. Use 'drop' to "
            "leave records of unknown age out of the standardised rate, 'redistribute' to "
            "share them among the age bands."
        )
    inputs = _standardisation_inputs(data, by, population, standard, of, type_column, rules)
    group_keys, matrix, pop_matrix, std = (
        inputs.keys,
        inputs.counts,
        inputs.population,
        inputs.standard,
    )
    unknown_age_count = inputs.unknown
    levels = _levels(level)
    out = group_keys.copy()
    out["count"] = matrix.sum(axis=1).astype(np.int64)
    out["count_unknown_age"] = unknown_age_count.astype(np.int64)
    out["population"] = pop_matrix.sum(axis=1)
    # The crude rate counts every record, whatever its age, over the whole population: the
    # rate of fs.indicators for the same group and denominator.
    out["crude_rate"] = (matrix.sum(axis=1) + unknown_age_count) / pop_matrix.sum(axis=1) * per
    shared = unknown_age_count if unknown_age == "redistribute" else None
    for i, lvl in enumerate(levels):
        result = direct_standardised_rate(
            matrix, pop_matrix, std, level=lvl, method=method, per=per, unknown=shared
        )
        if i == 0:
            out["rate"] = result.rate
        suffix = "" if i == 0 else f"_{level_suffix(lvl)}"
        out[f"rate_lower{suffix}"] = result.lower
        out[f"rate_upper{suffix}"] = result.upper
    out.attrs["femstat"] = _metadata(
        levels=levels,
        method=method,
        standard=std.name,
        of=of,
        per=per,
        unknown_age=unknown_age,
        rules=rules,
    )
    return out

"""Comparisons between groups: rate ratios, share differences, changes from year to year."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from femstat.classify import UN_2022, RuleSet
from femstat.counts import check_breakdown
from femstat.errors import FemstatError, PopulationError
from femstat.indicators import _OF, _shown, _standardisation_inputs, indicators
from femstat.stats import rate_ratio, share_difference, standardised_rate_ratio
from femstat.stats.compare import RATIO_METHODS
from femstat.stats.intervals import _check_level, _check_method
from femstat.stats.standard_populations import StandardPopulation

__all__ = ["ComparisonError", "rate_ratios"]


class ComparisonError(FemstatError, ValueError):
    """A comparison that cannot be made as asked."""


def _order(values: pd.Series) -> np.ndarray:
    """Positions of the groups in their natural order (categories, numbers, text)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return np.asarray(values.cat.codes)
    return np.asarray(pd.factorize(values, sort=True)[0])


def rate_ratios(
    data: pd.DataFrame,
    by: str,
    *,
    population: pd.DataFrame,
    reference: Any = None,
    within: Sequence[str] | str = (),
    of: str = "femicide",
    level: float = 0.95,
    standard: str | StandardPopulation | None = None,
    method: str = "fay-feuer",
    per: float = 100_000,
    rules: RuleSet = UN_2022,
) -> pd.DataFrame:
    """Compare the groups of ``by`` with a reference group: rates, shares, standardised rates.

    Parameters
    ----------
    data : pandas.DataFrame
        Microdata (classified or not) or a count cube, as for :func:`femstat.indicators`.
    by : str
        The column whose groups are compared, e.g. ``"area"`` or ``"year"``.
    population : pandas.DataFrame
        Female population keyed by ``by`` and some or all of ``within`` (and by
        ``age_group`` in the bands of ``standard`` when a standard is given).
    reference : value of ``by``, ``"previous"`` or None, default None
        The group every other group is compared with; None takes the first group (in the
        order of the categories, or sorted). ``"previous"`` compares each group with the one
        before it: with ``by="year"``, the change from one year to the next.
    within : str or sequence of str, default ()
        Further breakdown columns: the comparison is made within each of their groups (e.g.
        areas compared with a reference area within each year).
    of : str, default ``"femicide"``
        What to count: a femicide type, ``"femicide"``, ``"female_homicide"`` or
        ``"partner_or_family"``.
    level : float, default 0.95
    standard : str or StandardPopulation, optional
        Also compare directly age-standardised rates with this standard (records of unknown
        age are left out of them, as in :func:`femstat.age_standardised_rates`).
    method : {"fay-feuer", "tiwari"}, default "fay-feuer"
        Interval of the ratio of standardised rates.
    per : float, default 100,000
    rules : RuleSet
        As for :func:`femstat.classify`.

    Returns
    -------
    pandas.DataFrame
        One row per compared group (the reference itself, and with ``"previous"`` the first
        group, has no row: its numbers are in the ``reference_`` columns of the others):
        ``within`` and ``by`` keys, ``reference`` (the group compared with), ``count``,
        ``population``, ``rate``, ``reference_count``, ``reference_population``,
        ``reference_rate``; ``rate_ratio`` with ``rate_ratio_lower``, ``rate_ratio_upper``
        and ``p_value`` (exact conditional test); ``percent_change`` (100 (ratio - 1)) with
        its limits; ``share`` and ``reference_share`` of female homicide with
        ``share_difference`` and its limits (percentage points / 100); and with a standard
        ``standardised_rate``, ``reference_standardised_rate``, ``standardised_rate_ratio``
        and its limits. ``attrs["femstat"]`` records how.

    Raises
    ------
    ComparisonError
        A ``ValueError`` raised if the reference group is not in the data, if ``by`` is in
        ``within``, or if ``of`` is unknown.
    femstat.errors.PopulationError
        If a group has no population.

    Notes
    -----
    The rate ratio and its p-value are the exact conditional test of R's
    ``poisson.test(c(x, x_ref), c(pop, pop_ref))``; the difference of shares uses Newcombe's
    hybrid score interval; the ratio of standardised rates Fay's (1999) F interval (or
    Tiwari et al.'s 2006 modification). See :mod:`femstat.stats.compare`. The groups are
    compared one pair at a time: the intervals and p-values are not adjusted for multiple
    comparisons.
    """
    if not isinstance(by, str):
        raise ComparisonError(
            f"by must name one column, got {by!r}. Put further breakdown columns in within=."
        )
    within = [within] if isinstance(within, str) else list(within)
    check_breakdown([*within, by])
    if by in within:
        raise ComparisonError(
            f"{by!r} is both compared (by) and a stratum (within): drop it from within"
        )
    if of not in _OF:
        raise ComparisonError(f"of={of!r} is not one of {sorted(_OF)}: choose what to count")
    level = _check_level(level)
    _check_method(method, RATIO_METHODS, "rate_ratios")
    keys = [*within, by]

    rate_population = population
    if "age_group" in population.columns:
        # The rates compare whole groups: the population summed over its age bands.
        rate_population = pd.DataFrame(
            population.groupby(
                [c for c in population.columns if c not in ("population", "age_group")],
                as_index=False,
                observed=True,
            )["population"].sum()
        )
    table = indicators(data, keys, population=rate_population, rules=rules, per=per)
    rows = table[table["femicide_type"].astype(str) == of].reset_index(drop=True)
    if "rate" not in rows.columns or rows["population"].isna().any():
        raise PopulationError(
            f"no female population for some groups of {keys}: a rate ratio needs every "
            "group's population. Complete the population table."
        )
    order = np.lexsort([_order(rows[by])] + [_order(rows[k]) for k in reversed(within)])
    rows = rows.iloc[order].reset_index(drop=True)
    stratum = (
        rows.groupby(within, observed=True, sort=False).ngroup().to_numpy()
        if within
        else np.zeros(len(rows), dtype=np.int64)
    )
    position = np.arange(len(rows))
    if isinstance(reference, str) and reference == "previous":
        ref_index = position - 1
        has_ref = np.r_[False, stratum[1:] == stratum[:-1]]
    else:
        by_values = rows[by]
        if reference is None:
            reference_value = by_values.iloc[0] if len(rows) else None
        else:
            reference_value = reference
        matches = (by_values.astype(object) == reference_value).to_numpy()
        if not matches.any():
            # Values of a column the schema does not know may be free text: never shown.
            if _shown(by):
                what = f"the reference {reference!r} is not a group of {by!r}"
                shown = f"; the groups are {sorted(map(str, pd.unique(by_values)))}"
            else:
                what, shown = f"the reference is not a group of {by!r}", ""
            raise ComparisonError(
                f"{what}{shown}. Pass one of its groups as reference=, or reference='previous'."
            )
        first_match = pd.Series(np.where(matches, position, -1)).groupby(stratum).transform("max")
        ref_index = first_match.to_numpy()
        missing = ref_index < 0
        if missing.any():
            strata = int(pd.unique(stratum[missing]).size)
            named = f" {reference_value!r}" if _shown(by) else ""
            raise ComparisonError(
                f"the reference{named} has no row in {strata} group(s) of {within}. Compare "
                "within strata that all hold the reference."
            )
        has_ref = ~matches
    compared = np.flatnonzero(has_ref)
    ref = ref_index[compared]

    def column(name: str, at: np.ndarray) -> np.ndarray:
        return rows[name].to_numpy(dtype=np.float64)[at]

    count, ref_count = column("count", compared), column("count", ref)
    pop, ref_pop = column("population", compared), column("population", ref)
    ratio = rate_ratio(count, pop, ref_count, ref_pop, level=level)
    out = rows.loc[compared, keys].reset_index(drop=True)
    out["reference"] = rows[by].to_numpy()[ref]
    out["count"] = count.astype(np.int64)
    out["population"] = pop
    out["rate"] = column("rate", compared)
    out["reference_count"] = ref_count.astype(np.int64)
    out["reference_population"] = ref_pop
    out["reference_rate"] = column("rate", ref)
    out["rate_ratio"] = ratio.estimate
    out["rate_ratio_lower"] = ratio.lower
    out["rate_ratio_upper"] = ratio.upper
    out["p_value"] = ratio.p_value
    out["percent_change"] = 100.0 * (ratio.estimate - 1.0)
    out["percent_change_lower"] = 100.0 * (ratio.lower - 1.0)
    out["percent_change_upper"] = 100.0 * (ratio.upper - 1.0)

    denominator = np.nan_to_num(column("share_denominator", compared))
    ref_denominator = np.nan_to_num(column("share_denominator", ref))
    shares = share_difference(
        np.minimum(count, denominator),
        denominator,
        np.minimum(ref_count, ref_denominator),
        ref_denominator,
        level=level,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = np.where(denominator > 0, count / denominator, np.nan)
        out["reference_share"] = np.where(ref_denominator > 0, ref_count / ref_denominator, np.nan)
    out["share_difference"] = shares.estimate
    out["share_difference_lower"] = shares.lower
    out["share_difference_upper"] = shares.upper

    if standard is not None:
        inputs = _standardisation_inputs(
            data, keys, population, standard, of, "femicide_type", rules
        )
        # Match the standardisation's groups to the sorted rows by their keys.
        lookup = pd.MultiIndex.from_frame(inputs.keys[keys].astype(str))
        wanted = pd.MultiIndex.from_frame(rows[keys].astype(str))
        at = lookup.get_indexer(wanted)
        if np.any(at < 0):
            raise PopulationError(
                f"{int(np.sum(at < 0))} group(s) of {keys} have no age-specific population: "
                "the standardised rates need the population of every group by age band. "
                "Complete the population table."
            )
        dsr = standardised_rate_ratio(
            inputs.counts[at[compared]],
            inputs.population[at[compared]],
            inputs.counts[at[ref]],
            inputs.population[at[ref]],
            inputs.standard,
            level=level,
            method=method,
        )
        from femstat.stats import direct_standardised_rate

        own = direct_standardised_rate(
            inputs.counts[at], inputs.population[at], inputs.standard, per=per
        )
        out["standardised_rate"] = own.rate[compared]
        out["reference_standardised_rate"] = own.rate[ref]
        out["standardised_rate_ratio"] = dsr.estimate
        out["standardised_rate_ratio_lower"] = dsr.lower
        out["standardised_rate_ratio_upper"] = dsr.upper

    from femstat import __version__

    out.attrs["femstat"] = {
        "femstat_version": __version__,
        "comparison": "rate_ratios",
        "by": by,
        "within": within,
        "reference": "previous"
        if isinstance(reference, str) and reference == "previous"
        else (None if reference is None else str(reference)),
        "of": of,
        "level": level,
        "per": per,
        "rate_ratio_method": "exact conditional test (R poisson.test)",
        "share_difference_method": "Newcombe hybrid score (method 10)",
        "standard": None if standard is None else inputs.standard.name,
        "standardised_ratio_method": None if standard is None else method,
        "rule_set": rules.name,
    }
    return out

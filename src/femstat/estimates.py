"""Estimates, with their uncertainty, of what the undetermined records hide.

Roughly four in ten female homicide victims cannot be classified: their relationship to the
perpetrator or a criterion is unknown. :func:`femstat.bounds` gives the honest range (the
identified femicides; plus the undetermined); :func:`estimate` gives a central estimate
inside it with an interval, by multiple imputation (``method="impute"``) or by proportional
allocation within strata (``method="allocate"``); :func:`sensitivity` shows how far from
"missing at random" the undetermined would have to be to change a conclusion.

The estimate takes *classified* data (from :func:`femstat.classify`) and reuses its rule set:
each completed data set is classified by the same rule with femstat's vectorised kernel.
The method, its reference and its assumptions are in ``docs/methods.md`` ("Estimates for
what is unknown"); the result carries them in ``attrs["femstat_estimate"]``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, special

from femstat import _kernel, synth
from femstat import codes as C
from femstat._arrays import masked_parts
from femstat._cube import frame_from_levels as _frame_from_levels
from femstat._cube import rule_inputs as _rule_inputs
from femstat._estimate_cube import Cube as _Cube
from femstat._estimate_cube import CubeSpec, dask_cube, file_cube, merge_cubes
from femstat.ages import AgeScheme, age_scheme
from femstat.classify import (
    RULES_ATTR,
    UN_2022,
    RuleSet,
    classify,
    rule_fingerprint,
)
from femstat.counts import check_breakdown, group_cells
from femstat.errors import EstimateError, FemstatError
from femstat.schemas import is_sensitive
from femstat.sources.readers import Format, MappingLike, ValueLabels
from femstat.stats import impute as _impute
from femstat.stats.rubin import Pooled, gamma_interval, pool

__all__ = [
    "ESTIMATE_ROWS",
    "METHODS",
    "EstimateError",
    "estimate",
    "estimate_from_file",
    "sensitivity",
    "sensitivity_difference",
    "simulate",
]

METHODS: tuple[str, ...] = ("impute", "allocate")
"""The estimation methods of :func:`estimate`."""

ESTIMATE_ROWS: tuple[str, ...] = (
    *C.FEMICIDE_TYPES,
    "femicide",
    "female_homicide",
    "partner_or_family",
)
"""The rows of :func:`estimate`'s result per group, in order."""

ATTRS_KEY = "femstat_estimate"
"""Key of the result's ``attrs`` describing how it was made."""

DEFAULT_COVARIATES: tuple[str, ...] = (
    "age_group",
    "mechanism",
    "place",
    "year",
    "area",
    "perpetrator_sex",
    "perpetrator_age",
)
"""Covariates of the imputation models when ``covariates`` is not given (those present)."""

MIN_LEVEL_RECORDS = 5
"""Levels of a covariate with fewer in-scope records are pooled into one level."""

EVENTS_PER_PARAMETER = 10
"""A criterion model with fewer rarer-outcome records per coefficient than this keeps only
the relationship group and the ``by`` columns (the usual rule of thumb for logistic
regression; with fewer, the fit separates and the imputations overstate rare criteria)."""

MAX_LEVELS = 200
"""A covariate with more levels among in-scope records is refused (likely free text)."""

RATE_DFCOM = 1e6
"""Complete-data degrees of freedom of a Poisson count, for the rate intervals."""

RATE_INTERVAL = (
    "gamma interval (Fay and Feuer 1997) with the total variance of Rubin's rules, the "
    "Poisson variance of each completed count as the within variance; the exact Poisson "
    "interval where nothing is imputed"
)

_GROUPS4: tuple[str, ...] = ("intimate_partner", "family_member", "other_known", "stranger")
# Known groups of a record: the four the relationship model imputes, then a partner or
# family member of unknown kind, which is known but never imputed (fixed, see _prepare).
_KNOWN_GROUPS: tuple[str, ...] = (*_GROUPS4, "partner_or_family_unspecified")
_UNSPECIFIED = _KNOWN_GROUPS.index("partner_or_family_unspecified")
_UNKNOWN_FACT_GROUP = len(_KNOWN_GROUPS)
_N_FACTS = (len(_KNOWN_GROUPS) + 1) * 4
_KNOWN_INDEX = np.array(
    [_KNOWN_GROUPS.index(g) if g in _KNOWN_GROUPS else -1 for g in C.RELATIONSHIP_GROUP.codes],
    dtype=np.int64,
)  # RELATIONSHIP_GROUP index -> index in _KNOWN_GROUPS, -1 for unknown
_STRANGER = _GROUPS4.index("stranger")
_HISTORY = "prior_violence"  # framework: a stranger has no history of violence with her
_GROUP_OF_RELATIONSHIP = np.array(
    [C.RELATIONSHIP_GROUP.code_of(C.RELATIONSHIP_GROUP_OF[c]) for c in C.RELATIONSHIP],
    dtype=np.int8,
)
_RELATIONSHIP_OF_GROUP = np.array([C.RELATIONSHIP.code_of(g) for g in _GROUPS4], dtype=np.int8)
_TYPE = {name: i for i, name in enumerate(C.FEMICIDE_TYPES)}
_N_TYPES = len(C.FEMICIDE_TYPES)
_ROW_TYPES: dict[str, tuple[str, ...]] = {
    **{t: (t,) for t in C.FEMICIDE_TYPES},
    "femicide": C.FEMICIDE,
    "female_homicide": C.IN_SCOPE_TYPES,
    "partner_or_family": C.PARTNER_OR_FAMILY,
}
_ROW_MATRIX = np.array(
    [[t in _ROW_TYPES[row] for row in ESTIMATE_ROWS] for t in C.FEMICIDE_TYPES], dtype=np.float64
)  # types x rows: counts of types times this give the rows

IMPUTE_ASSUMPTION = (
    "Missing at random given the model's covariates: among records with the same "
    "covariates (and, for the relationship, the same pattern of criteria known true, "
    "known false or unknown), the unknown relationships and criteria are distributed as "
    "the known ones. Counts treat the data as a census: their interval is the imputation "
    "uncertainty only; rates add the Poisson variation of the count."
)
ALLOCATE_ASSUMPTION = (
    "Missing completely at random within strata: in each stratum the undetermined records "
    "are of each type they could be (given what is known of them) in the same proportions "
    "as the determined records of those types. Records already counted as other_perpetrator "
    "with an unknown relationship stay so. A stratum without a determined record borrows "
    "the proportions of its group, else of all the data."
)


class EstimateTypeError(FemstatError, TypeError):
    """An argument of the wrong type."""


# --------------------------------------------------------------------------------------
# arguments


def _check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise EstimateError(f"{name}={value!r} is not known; pass one of {listed}")
    return value


def _check_m(m: object) -> int:
    if isinstance(m, bool) or not isinstance(m, Integral):
        raise EstimateTypeError(
            f"m must be a whole number of imputations, got {type(m).__name__}; pass e.g. m=50"
        )
    if int(m) < 2:
        raise EstimateError(
            f"m must be at least 2 (the spread between imputations needs two), got {m}; "
            "pass e.g. m=50"
        )
    return int(m)


def _check_level(level: object) -> float:
    if isinstance(level, bool) or not isinstance(level, Real):
        raise EstimateTypeError(
            f"level must be a number between 0 and 1, got {type(level).__name__}; "
            "pass e.g. level=0.95"
        )
    value = float(level)
    if not 0.0 < value < 1.0:
        raise EstimateError(
            f"level must lie strictly between 0 and 1, got {level!r}; pass e.g. level=0.95 "
            "for a 95 % interval (not 95)"
        )
    return value


def _check_seed(seed: object) -> int:
    if seed is None:
        # Fresh entropy, recorded in attrs so that the numbers can be reproduced.
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, Integral) or int(seed) < 0:
        raise EstimateTypeError(
            f"seed must be None or a non-negative whole number, got {seed!r}; pass e.g. seed=1"
        )
    return int(seed)


def _check_delta(delta: object, name: str = "delta") -> float:
    if isinstance(delta, bool) or not isinstance(delta, Real) or not np.isfinite(float(delta)):
        raise EstimateError(f"{name} must be a finite number (a log odds ratio), got {delta!r}")
    return float(delta)


def _check_number(value: object, name: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(float(value)):
        raise EstimateError(f"{name} must be a finite number, got {value!r}; {hint}")
    return float(value)


def _check_deltas(deltas: object) -> list[float]:
    if isinstance(deltas, str) or not isinstance(deltas, Sequence | np.ndarray) or not len(deltas):
        raise EstimateError("deltas must be a non-empty sequence of numbers, e.g. [-1, 0, 1]")
    return sorted({_check_delta(d, "deltas") for d in deltas} | {0.0})


def _names(value: object, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise EstimateTypeError(
        f"{name} must be a column name or a list of column names, got {type(value).__name__}"
    )


def _rules_of(typed: pd.DataFrame, rules: RuleSet | None) -> RuleSet:
    """The rule set that classified ``typed``, checked by classifying it again."""
    if not isinstance(typed, pd.DataFrame):
        raise EstimateTypeError(
            f"estimate takes a classified pandas DataFrame, got {type(typed).__name__}; "
            "pass fs.classify(fs.validate(data))"
        )
    if rules is not None and not isinstance(rules, RuleSet):
        raise EstimateTypeError(f"rules must be a femstat.RuleSet, got {type(rules).__name__}")
    column = (rules or UN_2022).type_column
    if column not in typed.columns or not C.FEMICIDE_TYPE.is_dtype_of(typed[column]):
        raise EstimateError(
            f"the data has no femicide type column {column!r}: estimate works on classified "
            "data. Run fs.classify(data) first (with rules=... for another rule set)."
        )
    recorded = typed.attrs.get(RULES_ATTR)
    record = recorded.get(column) if isinstance(recorded, Mapping) else None
    chosen = rules or UN_2022
    recorded_other = isinstance(record, Mapping) and (
        record.get("fingerprint") != rule_fingerprint(UN_2022)
    )
    if rules is None and recorded_other:
        name = record.get("name") if isinstance(record, Mapping) else None
        raise EstimateError(
            f"{column!r} was made by the rule set {name!r}, not UN_2022; "
            "pass the same RuleSet as rules=..."
        )
    for name in ("victim_sex", "relationship"):
        if name not in typed.columns:
            raise EstimateError(
                f"the data has no column {name!r}, which the estimate re-classifies; pass the "
                "classified frame with all its validated columns"
            )
    # The imputed records are classified again by this rule set: it must be the one that
    # made the column, or the estimate would mix two rules.
    try:
        types, _ = _kernel.classify_codes(_rule_inputs(typed, chosen), len(typed))
    except FemstatError as exc:
        raise EstimateError(f"{exc}. Pass the frame fs.classify returned.") from exc
    differ = types != typed[column].array.codes
    if differ.any():
        rows = np.flatnonzero(differ)
        raise EstimateError(
            f"{column!r} disagrees with rule set {chosen.name!r} in {len(rows):,} row(s) "
            f"(rows {rows[:5].tolist()}): the column was edited or made by another rule set. "
            "Classify the data again, or pass the rule set that made it as rules=..."
        )
    return chosen


# --------------------------------------------------------------------------------------
# covariates


@dataclass(frozen=True)
class _Covariate:
    name: str
    codes: np.ndarray  # dense codes 0..n_levels-1 over the in-scope records
    n_levels: int
    reference: int
    pooled: int  # how many rare levels were pooled into one


def _raw_codes(name: str, df: pd.DataFrame, scheme: AgeScheme) -> tuple[np.ndarray, int] | None:
    """Integer codes of a covariate (missing a level of its own), and the number of codes."""
    # Ages are modelled by group: the victim's by default as "age_group".
    source = {"victim_age": "victim_age", "perpetrator_age": "perpetrator_age"}.get(name)
    if name == "age_group" and name not in df.columns:
        source = "victim_age"
    if source is not None:
        if source not in df.columns:
            return None
        series = df[source]
        if not pd.api.types.is_numeric_dtype(series.dtype):
            raise EstimateError(f"covariate {name!r}: {source!r} is not numeric; validate first")
        return scheme.codes(series.array).astype(np.int64), len(scheme.labels)
    if name not in df.columns:
        return None
    series = df[name]
    if name == "place" and C.PLACE.is_dtype_of(series):
        top = list(dict.fromkeys(C.PLACE_GROUP.values()))
        table = np.array([top.index(C.PLACE_GROUP[c]) for c in C.PLACE.codes], dtype=np.int64)
        codes = series.array.codes.astype(np.int64)
        return np.where(codes < 0, len(top), table[codes]), len(top) + 1
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.array.codes.astype(np.int64)
        n = len(series.cat.categories)
        return np.where(codes < 0, n, codes), n + 1
    if series.dtype == "boolean":
        values, missing = masked_parts(series)
        return np.where(missing, 2, values.astype(np.int64)), 3
    codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
    n = len(uniques)
    return np.where(codes < 0, n, codes).astype(np.int64), n + 1


def _refuse_identifier(name: str) -> None:
    if is_sensitive(name):
        raise EstimateError(
            f"covariate {name!r} is refused: it identifies records, and a model of one "
            "level per record says nothing. Use coded columns (age group, area, ...)."
        )


def _covariates(
    df: pd.DataFrame,
    names: Sequence[str],
    explicit: bool,
    scheme: AgeScheme,
    weights: np.ndarray,
) -> list[_Covariate]:
    """The covariates of the rows of a cube, ``weights`` records each."""
    out: list[_Covariate] = []
    outcomes = {"femicide_type", "relationship", "relationship_group", "criteria_met"}
    for name in names:
        _refuse_identifier(name)
        if name in outcomes:
            raise EstimateError(
                f"covariate {name!r} is what the model imputes or the classification it "
                "makes; leave it out of covariates"
            )
        raw = _raw_codes(name, df, scheme)
        if raw is None:
            if explicit:
                raise EstimateError(
                    f"covariate {name!r} is not a column of the data; pass column names of "
                    "the classified frame (or 'age_group' for the victim's age)"
                )
            continue
        codes, _ = raw
        counts = np.bincount(codes, weights=weights)
        present = np.flatnonzero(counts)
        if len(present) > MAX_LEVELS:
            raise EstimateError(
                f"covariate {name!r} has {len(present):,} distinct values among the female "
                f"homicide victims, more than {MAX_LEVELS}: a model cannot learn from it (is "
                "it free text or an identifier?). Group it into fewer levels or leave it out."
            )
        rare = (counts > 0) & (counts < MIN_LEVEL_RECORDS)
        pooled = int(rare.sum())
        if pooled > 1:
            # One level for the rare ones: a level seen once or twice would give its own
            # coefficient, estimated from nothing.
            codes = np.where(rare[codes], len(counts), codes)
        _, dense = np.unique(codes, return_inverse=True)
        dense = dense.astype(np.int64).ravel()
        n_levels = int(dense.max()) + 1 if len(dense) else 0
        if n_levels < 2:
            continue  # one level: nothing to learn from it
        reference = int(np.argmax(np.bincount(dense, weights=weights)))
        out.append(_Covariate(name, dense, n_levels, reference, pooled if pooled > 1 else 0))
    return out


def _design(codes: np.ndarray, n_levels: Sequence[int], references: Sequence[int]) -> np.ndarray:
    """Intercept and treatment dummies (reference level left out) for rows of codes."""
    columns = [np.ones(len(codes))]
    for j, (n, ref) in enumerate(zip(n_levels, references, strict=True)):
        for level in range(n):
            if level != ref:
                columns.append((codes[:, j] == level).astype(np.float64))
    return np.column_stack(columns)


def _patterns(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``codes`` (n x k) and each row's pattern number."""
    if codes.shape[1] == 0:
        return np.zeros((1, 0), dtype=np.int64), np.zeros(len(codes), dtype=np.int64)
    unique, inverse = np.unique(codes, axis=0, return_inverse=True)
    return unique, inverse.astype(np.int64).ravel()


# --------------------------------------------------------------------------------------
# the prepared problem: fitted models and what each imputation redraws


@dataclass(frozen=True)
class _Model:
    fit: _impute.Fit
    design: Any  # one row per pattern (scipy.sparse for the relationship model)
    formula: str
    columns: np.ndarray | None = None  # columns of the covariate design a criterion uses


@dataclass(frozen=True)
class _Prepared:
    rules: RuleSet
    inputs: _kernel.RuleInputs  # of the in-scope rows of the cube
    n_in: int  # in-scope rows of the cube
    weight: np.ndarray  # records of each in-scope row
    group_cell: np.ndarray  # breakdown group of each in-scope record
    n_groups: int
    keys: pd.DataFrame
    out_of_scope: np.ndarray  # per group
    group4: np.ndarray  # index in _KNOWN_GROUPS (0..3 imputable, 4 unspecified), -1 unknown
    unknown_rel: np.ndarray  # indices of in-scope records to impute a relationship for
    rel_model: _Model | None
    rel_pattern: np.ndarray  # pattern of each record in unknown_rel
    crit_values: list[np.ndarray]
    crit_missing: list[np.ndarray]
    crit_models: list[_Model | None]
    x_pattern: np.ndarray  # covariate pattern of each in-scope record
    x_design: sparse.csr_matrix
    covariates: list[_Covariate]
    fixed_low: np.ndarray  # groups x rows: count of records fixed in the row
    changeable: np.ndarray  # groups x rows: records whose type may change
    observed: np.ndarray  # groups x rows: counts as classified
    fact: np.ndarray  # (group * 2 + any_true) * 2 + any_unknown of each in-scope record
    history_known: np.ndarray  # per record of unknown_rel: prior_violence known true


def _criteria_parts(sub: pd.DataFrame, rules: RuleSet) -> tuple[list[np.ndarray], list[np.ndarray]]:
    values: list[np.ndarray] = []
    missing: list[np.ndarray] = []
    for name in rules.criteria:
        if name not in sub.columns:
            raise EstimateError(
                f"criterion column {name!r} is absent, so it is unknown for every record and "
                "no model can impute it; add the column, or classify with a rule set "
                "without it"
            )
        v, mk = masked_parts(sub[name])
        values.append(v.astype(bool) & ~mk)
        missing.append(mk.astype(bool).copy())
    return values, missing


def _prepare(
    typed: pd.DataFrame,
    weights: np.ndarray,
    by: list[str],
    covariate_names: list[str] | None,
    rules: RuleSet,
    scheme: AgeScheme,
    *,
    models: bool = True,
) -> _Prepared:
    type_codes = typed[rules.type_column].array.codes
    cell, encoded = group_cells(typed, by, age_groups=scheme, extra_cells=len(ESTIMATE_ROWS))
    n_groups = int(np.prod([len(e.levels) for e in encoded], dtype=np.int64))
    keys = _frame_from_levels(encoded, np.zeros(n_groups)).drop(columns="count")
    in_scope = type_codes != _TYPE["out_of_scope"]
    out_of_scope = np.bincount(cell[~in_scope], weights[~in_scope], minlength=n_groups)
    sub = typed.loc[in_scope]
    w = weights[in_scope].astype(np.int64)
    wf = w.astype(np.float64)
    n_in = len(sub)
    group_cell = cell[in_scope].astype(np.int64)
    inputs = _rule_inputs(sub, rules)
    group4 = _KNOWN_INDEX[_GROUP_OF_RELATIONSHIP[sub["relationship"].array.codes]]
    crit_values, crit_missing = _criteria_parts(sub, rules)

    any_true = np.zeros(n_in, dtype=bool)
    any_unknown = np.zeros(n_in, dtype=bool)
    for v, mk in zip(crit_values, crit_missing, strict=True):
        any_true |= v
        any_unknown |= mk
    unknown_rel_mask = group4 < 0
    sub_types = type_codes[in_scope].astype(np.int64)
    # A partner or family member of unknown kind is not imputed into one of the two, and
    # its criteria are not modelled (it is outside the models' four groups): its type must
    # not depend on either. Under a rule set that qualifies both groups (UN_2022) it never
    # does; otherwise such records may be undetermined, and then nothing can resolve them.
    stuck = (group4 == _UNSPECIFIED) & (sub_types == _TYPE["undetermined"])
    if stuck.any():
        raise EstimateError(
            f"{int(w[stuck].sum()):,} female homicide victim(s) killed by an intimate partner "
            "or a family member, not known which (relationship group "
            f"partner_or_family_unspecified), are undetermined under rule set {rules.name!r}: "
            "the estimate does not impute which of the two it was, nor their criteria. "
            "Estimate with a rule set that qualifies both groups (as UN_2022), or report the "
            "bounds (fs.bounds) instead."
        )
    observed = _rows(_type_counts(group_cell, sub_types, n_groups, wf), out_of_scope)
    # The logical range of each row: records that are in it however their unknowns are
    # filled in, and records that could be.
    fact = (
        np.where(unknown_rel_mask, _UNKNOWN_FACT_GROUP, group4) * 2 + any_true
    ) * 2 + any_unknown
    certain, possible = _possible_rows(rules)
    per_fact = np.bincount(group_cell * _N_FACTS + fact, wf, minlength=n_groups * _N_FACTS)
    per_fact = per_fact.reshape(n_groups, _N_FACTS)
    fixed = per_fact @ certain
    change_rows = per_fact @ possible - fixed
    fixed[:, ESTIMATE_ROWS.index("out_of_scope")] = out_of_scope

    names = covariate_names
    explicit = names is not None
    if names is None:
        names = list(DEFAULT_COVARIATES)
    outcomes = {"relationship", "relationship_group", rules.type_column, rules.criteria_column}
    names = list(dict.fromkeys([*names, *(b for b in by if b not in outcomes)]))
    covariates = _covariates(sub, names, explicit, scheme, wf) if models else []
    x_codes = np.column_stack([c.codes for c in covariates]) if covariates else np.zeros((n_in, 0))
    x_levels = [c.n_levels for c in covariates]
    x_refs = [c.reference for c in covariates]
    x_unique, x_pattern = _patterns(x_codes.astype(np.int64))
    x_design = _design(x_unique, x_levels, x_refs)
    covariate_text = " + ".join(c.name for c in covariates) or "1"
    # Columns of x_design: the intercept, then each covariate's dummies in turn.
    spans = np.cumsum([1, *(c.n_levels - 1 for c in covariates)])
    by_columns = np.concatenate(
        [
            np.zeros(1, dtype=np.int64),
            *(np.arange(spans[i], spans[i + 1]) for i, c in enumerate(covariates) if c.name in by),
        ]
    ).astype(np.int64)

    rel_model: _Model | None = None
    unknown_rel = np.flatnonzero(unknown_rel_mask)
    rel_pattern = np.zeros(0, dtype=np.int64)
    crit_models: list[_Model | None] = []
    if models and (len(unknown_rel) or any(mk.any() for mk in crit_missing)):
        # The relationship model's outcomes are the four groups it imputes.
        known = (group4 >= 0) & (group4 != _UNSPECIFIED)
        if len(unknown_rel) and not known.any():
            raise EstimateError(
                "no female homicide victim has a known relationship to the perpetrator: "
                "there is nothing to impute it from. Report the bounds (fs.bounds) instead."
            )
        if len(unknown_rel):
            # The relationship given the covariates and each criterion's state (true,
            # false, unknown): a known criterion says something about the relationship.
            states = np.column_stack(
                [
                    np.where(mk, 2, v.astype(np.int64))
                    for v, mk in zip(crit_values, crit_missing, strict=True)
                ]
            )
            state_levels, state_refs = [], []
            for j in range(states.shape[1]):
                counts = np.bincount(states[:, j], wf, minlength=3)
                state_levels.append(3)
                state_refs.append(int(np.argmax(counts)))
            z = np.column_stack([x_pattern, states])
            z_unique, z_pattern = _patterns(z)
            design = np.column_stack(
                [
                    x_design[z_unique[:, 0]],
                    _design(z_unique[:, 1:], state_levels, state_refs)[:, 1:],
                ]
            )
            # Dummies of a state that never occurs are all zero: drop them (no information).
            design = design[:, np.any(design != 0, axis=0) | (np.arange(design.shape[1]) == 0)]
            y = np.zeros((len(z_unique), len(_GROUPS4)))
            np.add.at(y, (z_pattern[known], group4[known]), wf[known])
            design = sparse.csr_matrix(design)
            fit = _impute.fit(design, y)
            criteria_text = " + ".join(rules.criteria)
            rel_model = _Model(
                fit,
                design,
                f"relationship_group ~ {covariate_text} + {criteria_text} "
                "(multinomial logit: intimate_partner, family_member, other_known, stranger; "
                "criteria as true/false/unknown)",
            )
            rel_pattern = z_pattern[unknown_rel]
        g_design_levels = [len(_GROUPS4)]
        for name, v, mk in zip(rules.criteria, crit_values, crit_missing, strict=True):
            if not mk.any():
                crit_models.append(None)
                continue
            usable = ~mk & (group4 >= 0) & (group4 != _UNSPECIFIED)
            if not usable.any():
                raise EstimateError(
                    f"criterion {name!r} is unknown for every female homicide victim with a "
                    "known relationship: there is nothing to impute it from. Report the "
                    "bounds (fs.bounds) instead."
                )
            g_counts = np.bincount(group4[usable], wf[usable], minlength=len(_GROUPS4))
            g_ref = int(np.argmax(g_counts))
            n_true = int(w[usable & v].sum())
            events = min(n_true, int(w[usable].sum()) - n_true)
            columns = np.arange(x_design.shape[1])
            text = covariate_text
            if events < EVENTS_PER_PARAMETER * (len(columns) + len(_GROUPS4) - 1):
                # A rare criterion cannot support a coefficient per covariate level: keep
                # the relationship group and the breakdown's columns only.
                columns = by_columns
                text = " + ".join(c.name for c in covariates if c.name in by) or "1"
            zc = np.column_stack([x_pattern, group4])[usable]
            zc_unique, zc_pattern = _patterns(zc)
            design = np.column_stack(
                [
                    x_design[zc_unique[:, 0]][:, columns],
                    _design(zc_unique[:, 1:], g_design_levels, [g_ref])[:, 1:],
                ]
            )
            y = np.zeros((len(zc_unique), 2))
            np.add.at(y, (zc_pattern, v[usable].astype(np.int64)), wf[usable])
            fit = _impute.fit(design, y)
            # The per-group dummies as a 4 x d block, for the linear predictor of any record.
            crit_models.append(
                _Model(
                    fit,
                    _design(np.arange(len(_GROUPS4))[:, None], g_design_levels, [g_ref])[:, 1:],
                    f"{name} ~ {text} + relationship_group (logit)",
                    columns,
                )
            )
    else:
        crit_models = [None] * len(rules.criteria)
    x_sparse = sparse.csr_matrix(x_design)
    history_known = np.zeros(len(unknown_rel), dtype=bool)
    if _HISTORY in rules.criteria:
        j = rules.criteria.index(_HISTORY)
        history_known = crit_values[j][unknown_rel]
    return _Prepared(
        rules=rules,
        inputs=inputs,
        n_in=n_in,
        weight=w,
        group_cell=group_cell,
        n_groups=n_groups,
        keys=keys,
        out_of_scope=out_of_scope,
        group4=group4,
        unknown_rel=unknown_rel,
        rel_model=rel_model,
        rel_pattern=rel_pattern,
        crit_values=crit_values,
        crit_missing=crit_missing,
        crit_models=crit_models,
        x_pattern=x_pattern,
        x_design=x_sparse,
        covariates=covariates,
        fixed_low=fixed,
        changeable=change_rows,
        observed=observed,
        fact=fact,
        history_known=history_known,
    )


def _possible_types(rules: RuleSet) -> np.ndarray:
    """Facts x types: whether filling in the unknowns can give the type."""
    out = np.zeros((_N_FACTS, _N_TYPES), dtype=bool)
    for group in range(_UNKNOWN_FACT_GROUP + 1):
        for any_true in (False, True):
            for any_unknown in (False, True):
                groups = _GROUPS4 if group == _UNKNOWN_FACT_GROUP else (_KNOWN_GROUPS[group],)
                trues = {any_true, True} if any_unknown else {any_true}
                fact = (group * 2 + any_true) * 2 + any_unknown
                for g in groups:
                    for t in trues:
                        out[fact, _TYPE[rules.decide(True, g, t, False)]] = True
    return out


def _possible_rows(rules: RuleSet) -> tuple[np.ndarray, np.ndarray]:
    """For each of the 24 facts of an in-scope record, the rows it is surely and possibly in.

    A fact is (relationship group 0-4 of ``_KNOWN_GROUPS`` or 5 unknown, any criterion
    true, any unknown), numbered ``(group * 2 + any_true) * 2 + any_unknown``. Its possible
    types are those :meth:`RuleSet.decide` gives for every way of filling in the unknowns;
    an unknown relationship is filled in with one of the four groups the model imputes.
    """
    certain = np.zeros((_N_FACTS, len(ESTIMATE_ROWS)))
    possible = np.zeros((_N_FACTS, len(ESTIMATE_ROWS)))
    for group in range(_UNKNOWN_FACT_GROUP + 1):
        for any_true in (False, True):
            for any_unknown in (False, True):
                groups = _GROUPS4 if group == _UNKNOWN_FACT_GROUP else (_KNOWN_GROUPS[group],)
                trues = {any_true, True} if any_unknown else {any_true}
                types = {rules.decide(True, g, t, False) for g in groups for t in trues}
                fact = (group * 2 + any_true) * 2 + any_unknown
                for r, row in enumerate(ESTIMATE_ROWS):
                    inside = [t in _ROW_TYPES[row] for t in types]
                    certain[fact, r] = all(inside)
                    possible[fact, r] = any(inside)
    return certain, possible


def _type_counts(
    cell: np.ndarray, types: np.ndarray, n_groups: int, weights: np.ndarray
) -> np.ndarray:
    flat = np.bincount(cell * _N_TYPES + types, weights, minlength=n_groups * _N_TYPES)
    return flat.reshape(n_groups, _N_TYPES).astype(np.float64)


def _rows(type_counts: np.ndarray, out_of_scope: np.ndarray) -> np.ndarray:
    """Groups x types counts (in-scope types) to groups x :data:`ESTIMATE_ROWS`."""
    full = type_counts.copy()
    full[:, _TYPE["out_of_scope"]] = out_of_scope
    return full @ _ROW_MATRIX


def _split(
    rows: np.ndarray, count: np.ndarray, parts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of the completed cube after splitting each row's count among ``parts`` columns.

    Returns, for the non-empty pieces, the row each piece comes from, its column and its
    count (row-major: the order depends only on the cube).
    """
    k = parts.shape[1]
    flat = parts.ravel()
    keep = flat > 0
    return np.repeat(rows, k)[keep], np.tile(np.arange(k), len(rows))[keep], flat[keep]


def _one_imputation(
    prep: _Prepared, rng: np.random.Generator, delta: float | np.ndarray
) -> np.ndarray:
    """Counts (groups x rows) of one completed data set, imputed on the cube.

    For a row of the cube holding ``n`` records with the same pattern, the ``n`` imputed
    relationships are drawn at once as a multinomial of ``n`` (then each unknown criterion
    as a binomial of the records of each imputed group), which has the distribution of
    ``n`` independent draws. The completed data set is a cube too: its rows are pieces of
    the cube's rows, each with its relationship group, criteria and count.
    """
    rows = np.arange(prep.n_in)
    group4 = prep.group4.copy()
    count = prep.weight.copy()
    if prep.rel_model is not None:
        model = prep.rel_model
        coef = _impute.draw_coefficients(model.fit, rng)
        offset = np.zeros(len(_GROUPS4))
        for group in prep.rules.qualifying_groups:
            if group in _GROUPS4:
                offset[_GROUPS4.index(group)] = 1.0
        if isinstance(delta, np.ndarray):
            # A delta per group of the breakdown (the sensitivity of a difference): the
            # linear predictor of each record, with its group's shift.
            shift = delta[prep.group_cell[prep.unknown_rel]][:, None] * offset[None, :]
            design = model.design[prep.rel_pattern]
            prob = _impute.probabilities(model.fit, design, coef, shift)
        else:
            prob = _impute.probabilities(model.fit, model.design, coef, delta * offset)
            prob = prob[prep.rel_pattern]
        if prep.history_known.any():
            # A victim with a history of violence from the perpetrator was not killed by a
            # stranger (framework section 2): never impute one.
            prob[prep.history_known, _STRANGER] = 0.0
        prob /= prob.sum(axis=1, keepdims=True)
        drawn = rng.multinomial(count[prep.unknown_rel], prob)
        known = np.ones(prep.n_in, dtype=bool)
        known[prep.unknown_rel] = False
        pieces, imputed_group, n = _split(prep.unknown_rel, count[prep.unknown_rel], drawn)
        rows = np.concatenate([rows[known], pieces])
        group4 = np.concatenate([group4[known], imputed_group])
        count = np.concatenate([count[known], n])
    values = [v[rows] for v in prep.crit_values]
    for j, crit_model in enumerate(prep.crit_models):
        if crit_model is None:
            continue
        # Not for a partner or family member of unknown kind: outside the model's groups,
        # and its type does not depend on its criteria (checked in _prepare).
        where = np.flatnonzero(prep.crit_missing[j][rows] & (group4 != _UNSPECIFIED))
        coef = _impute.draw_coefficients(crit_model.fit, rng)
        columns = crit_model.columns
        assert columns is not None
        full = np.zeros((prep.x_design.shape[1], 2))
        full[columns] = coef[: len(columns)]
        eta_x = prep.x_design @ full  # patterns x 2
        eta_g = crit_model.design @ coef[len(columns) :]  # 4 groups x 2
        eta = eta_x[prep.x_pattern[rows[where]]] + eta_g[group4[where]]
        observed = crit_model.fit.observed
        if observed.all():
            p_true = special.expit(eta[:, 1] - eta[:, 0])
        else:
            p_true = np.full(len(where), 1.0 if observed[1] else 0.0)
        if prep.rules.criteria[j] == _HISTORY:
            # A stranger has no history with her: the model's small positive probability
            # there (a structural zero, estimated under a penalty) would add femicides.
            p_true = np.where(group4[where] == _STRANGER, 0.0, p_true)
        n_true = rng.binomial(count[where], p_true)
        # Each piece with an unknown criterion splits in two: false, then true.
        others = np.ones(len(rows), dtype=bool)
        others[where] = False
        pieces, truth, n = _split(
            where, count[where], np.column_stack([count[where] - n_true, n_true])
        )
        rows, group4, count, values = (
            np.concatenate([rows[others], rows[pieces]]),
            np.concatenate([group4[others], group4[pieces]]),
            np.concatenate([count[others], n]),
            [
                np.concatenate([v[others], truth.astype(bool) if i == j else v[pieces]])
                for i, v in enumerate(values)
            ],
        )
    relationship = np.asarray(prep.inputs.relationship)[rows].copy()
    imputed = prep.group4[rows] < 0
    relationship[imputed] = _RELATIONSHIP_OF_GROUP[group4[imputed]]
    no_missing = np.zeros(len(rows), dtype=bool)
    present = [(values[bit], no_missing) for bit in range(len(prep.rules.criteria))]
    inputs = dataclasses.replace(
        prep.inputs,
        sex=np.asarray(prep.inputs.sex)[rows],
        relationship=relationship,
        criteria=tuple(present),
        bits=tuple(range(len(prep.rules.criteria))),
        absent_criteria=False,
    )
    types, _ = _kernel.classify_codes(inputs, len(rows))
    counts = _type_counts(
        prep.group_cell[rows], types.astype(np.int64), prep.n_groups, count.astype(np.float64)
    )
    return _rows(counts, prep.out_of_scope)


@contextmanager
def _progress(show: bool | None, total: int) -> Iterator[Callable[[], None]]:
    stderr = sys.stderr
    wanted = show if show is not None else bool(stderr is not None and stderr.isatty())
    if not wanted:
        yield lambda: None
        return
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    except ImportError:
        if show:
            from femstat.errors import require

            require("rich", "cli")
        yield lambda: None
        return
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("imputations", total=total)
        yield lambda: bar.advance(task, 1)


def _impute_counts(
    prep: _Prepared, m: int, seed: int, delta: float | np.ndarray, progress: bool | None
) -> np.ndarray:
    """m x groups x rows counts of the completed data sets.

    ``delta`` is one shift for every record, or one per group of the breakdown.
    """
    # One generator per imputation, spawned from one seed: the same seed gives the same
    # numbers, and imputation l does not depend on how many came before it.
    streams = np.random.default_rng(seed).spawn(m)
    out = np.empty((m, prep.n_groups, len(ESTIMATE_ROWS)))
    with _progress(progress, m) as advance:
        for i, rng in enumerate(streams):
            out[i] = _one_imputation(prep, rng, delta)
            advance()
    return out


# --------------------------------------------------------------------------------------
# the result table


def _population(keys: pd.DataFrame, population: pd.DataFrame | float, by: list[str]) -> np.ndarray:
    from femstat.indicators import _population_for, _population_table

    pop = _population_for(keys, _population_table(population), "female", by)
    if pop is None:  # pragma: no cover - a female population is always found or refused
        raise EstimateError("the population table has no female rows; add them")
    return pop


def _table(
    prep: _Prepared,
    by: list[str],
    estimate_: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    fmi: np.ndarray,
    df: np.ndarray,
    rate_limits: tuple[np.ndarray, np.ndarray] | None,
    population: np.ndarray | None,
    per: float,
) -> pd.DataFrame:
    n_groups, n_rows = prep.n_groups, len(ESTIMATE_ROWS)
    out = prep.keys.loc[np.repeat(np.arange(n_groups), n_rows)].reset_index(drop=True)
    out[prep.rules.type_column] = pd.Categorical(
        np.tile(ESTIMATE_ROWS, n_groups), categories=list(ESTIMATE_ROWS)
    )
    bound_lower = prep.fixed_low
    bound_upper = prep.fixed_low + prep.changeable
    out["observed"] = prep.observed.ravel().astype(np.int64)
    out["bound_lower"] = bound_lower.ravel().astype(np.int64)
    out["bound_upper"] = bound_upper.ravel().astype(np.int64)
    out["estimate"] = estimate_.ravel()
    # The count cannot leave its logical range: records whose type is fixed, plus those
    # whose unknowns could make them this type.
    out["lower"] = np.clip(lower, bound_lower, bound_upper).ravel()
    out["upper"] = np.clip(upper, bound_lower, bound_upper).ravel()
    fh = np.repeat(prep.observed[:, ESTIMATE_ROWS.index("female_homicide")], n_rows)
    no_share = np.tile([r == "out_of_scope" for r in ESTIMATE_ROWS], n_groups) | (fh <= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, values in (
            ("share", "estimate"),
            ("share_lower", "lower"),
            ("share_upper", "upper"),
        ):
            out[name] = np.where(no_share, np.nan, out[values].to_numpy() / fh)
    out["fmi"] = fmi.ravel()
    out["df"] = df.ravel()
    if population is not None and rate_limits is not None:
        pop = np.repeat(population, n_rows)
        no_rate = np.tile([r == "out_of_scope" for r in ESTIMATE_ROWS], n_groups)
        out["population"] = np.where(no_rate, np.nan, pop)
        out["rate"] = np.where(no_rate, np.nan, out["estimate"].to_numpy() / pop * per)
        out["rate_lower"] = np.where(
            no_rate, np.nan, np.maximum(rate_limits[0].ravel(), 0) / pop * per
        )
        out["rate_upper"] = np.where(no_rate, np.nan, rate_limits[1].ravel() / pop * per)
    return out


def _rate_limits(
    completed: np.ndarray, level: float
) -> tuple[Pooled, tuple[np.ndarray, np.ndarray]]:
    """Pooled counts (m x k completed counts) with the Poisson variance, and their limits.

    Rubin's rules with the Poisson variance of each completed count as its within
    variance; the limits are a gamma interval with the total variance (Fay and Feuer
    1997): the normal one, Q +- t sqrt(T), undercovers small counts, where a Poisson count
    is skewed (tests/test_estimate_rates.py measures both).
    """
    rates = pool(completed, completed, dfcom=RATE_DFCOM)
    return rates, gamma_interval(rates.qbar, rates.t, level)


def _pooled_table(
    prep: _Prepared,
    by: list[str],
    draws: np.ndarray,
    level: float,
    population: np.ndarray | None,
    per: float,
) -> pd.DataFrame:
    m = draws.shape[0]
    flat = draws.reshape(m, -1)
    counts = pool(flat, 0.0)  # a census: no complete-data variance
    lower, upper = counts.interval(level)
    rates, (lo, up) = _rate_limits(flat, level)
    shape = (prep.n_groups, len(ESTIMATE_ROWS))
    rate_limits = None
    if population is not None:
        rate_limits = (lo.reshape(shape), up.reshape(shape))
    return _table(
        prep,
        by,
        counts.qbar.reshape(shape),
        lower.reshape(shape),
        upper.reshape(shape),
        rates.fmi.reshape(shape),
        counts.df.reshape(shape),
        rate_limits,
        population,
        per,
    )


def _allocate(
    prep: _Prepared,
    cube: _Cube,
    by: list[str],
    strata_names: list[str],
    scheme: AgeScheme,
    level: float,
    population: np.ndarray | None,
    per: float,
) -> pd.DataFrame:
    in_scope = cube.frame[prep.rules.type_column].array.codes != _TYPE["out_of_scope"]
    sub = cube.frame.loc[in_scope]
    wf = cube.weights[in_scope].astype(np.float64)
    types = sub[prep.rules.type_column].array.codes.astype(np.int64)
    covs = _covariates(sub, strata_names, True, scheme, wf) if strata_names else []
    _, stratum = _patterns(np.column_stack([prep.group_cell, *[c.codes for c in covs]]))
    n_strata = int(stratum.max()) + 1 if len(stratum) else 0
    group_of_stratum = np.zeros(n_strata, dtype=np.int64)
    group_of_stratum[stratum] = prep.group_cell
    # Determined records per stratum and type (undetermined and out of scope stay zero).
    n_det = np.zeros((n_strata, _N_TYPES))
    determined = types != _TYPE["undetermined"]
    np.add.at(n_det, (stratum[determined], types[determined]), wf[determined])
    group_det = np.zeros((prep.n_groups, _N_TYPES))
    np.add.at(group_det, group_of_stratum, n_det)
    total_det = n_det.sum(axis=0)
    possible = _possible_types(prep.rules)
    possible[:, _TYPE["undetermined"]] = False
    undetermined = types == _TYPE["undetermined"]
    shape = (prep.n_groups, len(ESTIMATE_ROWS))
    allocated = np.zeros(shape)
    variance = np.zeros(shape)
    for fact in np.unique(prep.fact[undetermined]):
        # Each undetermined record goes only to the types it could be, in the proportions
        # of the determined records of those types: its stratum's, else its group's,
        # else all the data's.
        mask = possible[fact].astype(np.float64)
        chosen = undetermined & (prep.fact == fact)
        n_und = np.bincount(stratum[chosen], wf[chosen], minlength=n_strata)
        source = n_det * mask
        empty = source.sum(axis=1) == 0
        source[empty] = group_det[group_of_stratum[empty]] * mask
        empty = source.sum(axis=1) == 0
        source[empty] = total_det * mask
        n_source = source.sum(axis=1)
        if (n_und[n_source == 0] > 0).any():
            raise EstimateError(
                "some undetermined records could only be of types no record of the data is "
                "determined as: there is nothing to allocate them by. Report the bounds "
                "(fs.bounds) instead, or use method='impute'."
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n_source[:, None] > 0, source / n_source[:, None], 0.0)
            p_rows = p @ _ROW_MATRIX  # strata x rows
            inflation = 1 + np.where(n_source > 0, n_und / n_source, 0.0)
        np.add.at(allocated, group_of_stratum, n_und[:, None] * p_rows)
        # Binomial variation of the allocated records' types, and the sampling variance
        # of the proportions they are allocated by (delta method).
        var = n_und[:, None] * p_rows * (1 - p_rows) * inflation[:, None]
        np.add.at(variance, group_of_stratum, var)
    und = ESTIMATE_ROWS.index("undetermined")
    fh = ESTIMATE_ROWS.index("female_homicide")
    est = prep.observed.copy()
    est[:, und] = 0.0
    est += allocated
    # female_homicide holds the undetermined records already: allocation does not move it.
    est[:, fh] = prep.observed[:, fh]
    variance[:, fh] = 0.0
    z = float(special.ndtri(1 - (1 - level) / 2))
    half = z * np.sqrt(variance)
    rate_limits = None
    if population is not None:
        rate_limits = gamma_interval(np.maximum(est, 0.0), variance + est, level)
    return _table(
        prep,
        by,
        est,
        est - half,
        est + half,
        np.full(shape, np.nan),
        np.full(shape, np.nan),
        rate_limits,
        population,
        per,
    )


# --------------------------------------------------------------------------------------
# public API


def estimate(
    typed: pd.DataFrame,
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
    """Estimates of femicides per group and type, for the undetermined records too.

    Parameters
    ----------
    typed : pandas.DataFrame
        Classified microdata (:func:`femstat.classify`). The estimate reclassifies records
        with the same rule set, checked against the frame's type column.
    by : str or sequence of str, optional
        Breakdown columns, as for :func:`femstat.indicators`; also covariates of the
        imputation models (an imputation model must know the groups it is analysed by).
    population : pandas.DataFrame or float, optional
        Female population per group, as for :func:`femstat.indicators`; adds rates.
    method : {"impute", "allocate"}, default "impute"
        Multiple imputation, or proportional allocation within strata (see Notes).
    m : int, default 50
        Number of imputations (at least 2).
    seed : int, optional
        Seed of the random draws: the same seed gives the same numbers. Without one, a
        fresh seed is drawn and recorded in ``attrs``.
    level : float, default 0.95
        Confidence level of the intervals.
    covariates : sequence of str, optional
        Covariates of the imputation models (``method="impute"``) or extra strata
        (``method="allocate"``). By default for imputation :data:`DEFAULT_COVARIATES`
        that are present; for allocation none (strata are the ``by`` groups).
        ``"age_group"`` and ``"perpetrator_age"`` are grouped by ``age_groups``.
    rules : RuleSet, optional
        The rule set of the type column; by default UN_2022 (the frame's record of its
        rule set must agree).
    delta : float, default 0
        Delta adjustment for :func:`sensitivity`: added to the log-odds of the qualifying
        relationships (intimate partner, family member) of records whose relationship is
        imputed. 0 is missing at random.
    per : float, default 100,000
    age_groups : scheme, default ``"unodc"``
    progress : bool, optional
        Show a progress bar of the imputations (by default when writing to a terminal).

    Returns
    -------
    pandas.DataFrame
        One row per group and :data:`ESTIMATE_ROWS` (the types, ``femicide``,
        ``female_homicide``, ``partner_or_family``): ``observed`` (the count as
        classified), ``bound_lower`` and ``bound_upper`` (the logical range: records whose
        type is fixed, plus those whose unknowns could give this row), ``estimate``,
        ``lower``, ``upper``, ``share``, ``share_lower``, ``share_upper`` (of female
        homicide), ``fmi`` (fraction of missing information of the rate: how much of its
        variance the unknowns cause), ``df`` (degrees of freedom of the count interval),
        and with a population ``population``, ``rate``, ``rate_lower``, ``rate_upper``.
        ``attrs["femstat_estimate"]`` records method, m, seed, level, models, assumption.

    Raises
    ------
    EstimateError
        Unclassified data, a type column that its rule set does not reproduce, a bad
        argument (named), an absent criterion or nothing known to impute from.

    Notes
    -----
    **Impute** (Rubin 1987; van Buuren 2018). A multinomial logistic model of the
    relationship group (partner, family, other known, stranger) on the covariates and each
    criterion's state, and a logistic model of each criterion on the covariates and the
    relationship group (only the group and the ``by`` columns for a criterion with fewer
    than :data:`EVENTS_PER_PARAMETER` rarer-outcome records per coefficient), are fitted to
    cubes of the records where the value is known (:mod:`femstat.stats.impute`). Each of
    ``m`` imputations draws the coefficients from their approximate posterior, then the
    unknown relationships (including records already counted as other perpetrator) and then
    the unknown criteria; the completed data set is classified by the rule set with
    femstat's kernel and counted. Rubin's rules with the
    Barnard-Rubin degrees of freedom combine the counts (:mod:`femstat.stats.rubin`): a
    count treats the data as a census (imputation variance only), a rate adds the Poisson
    variance of the count. Intervals are clipped to the logical range.

    **Allocate.** Within strata, each undetermined record is shared among the types it
    could be, in the proportions of the stratum's determined records of those types
    (missing completely at random within strata). Its interval is approximate: the binomial
    variation of the undetermined records' types and the sampling variance of the
    proportions (delta method); strata are taken as independent.
    """
    chosen = _rules_of(typed, rules)
    args = _arguments(by, method, m, level, seed, delta, per, covariates, age_groups, chosen)
    cube = _cube_of(typed, args)
    return _estimate_cube(cube, args, population, progress)


@dataclass(frozen=True)
class _Arguments:
    rules: RuleSet
    by: list[str]
    method: str
    m: int
    level: float
    seed: int
    delta: float
    per: float
    covariates: list[str] | None
    scheme: AgeScheme


def _arguments(
    by: object,
    method: object = "impute",
    m: object = 50,
    level: object = 0.95,
    seed: object = None,
    delta: object = 0.0,
    per: object = 100_000,
    covariates: object = None,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    rules: RuleSet = UN_2022,
) -> _Arguments:
    """The arguments of :func:`estimate`, checked (those that need no data)."""
    by_list = _names(by, "by")
    check_breakdown(by_list)
    if rules.type_column in by_list:
        raise EstimateError(
            f"{rules.type_column!r} is always a dimension of the result; do not list it in by"
        )
    method_name = _check_choice(method, "method", METHODS)
    m_checked = _check_m(m)
    level_checked = _check_level(level)
    seed_used = _check_seed(seed)
    delta_checked = _check_delta(delta)
    per_checked = _check_number(per, "per", "pass e.g. per=100_000")
    if not per_checked > 0:
        raise EstimateError(f"per must be a positive number, got {per!r}; pass e.g. per=100_000")
    cov_names = None if covariates is None else _names(covariates, "covariates")
    for name in cov_names or ():
        _refuse_identifier(name)
    return _Arguments(
        rules,
        by_list,
        method_name,
        m_checked,
        level_checked,
        seed_used,
        delta_checked,
        per_checked,
        cov_names,
        age_scheme(age_groups),
    )


def _spec(args: _Arguments) -> CubeSpec:
    names = args.covariates if args.covariates is not None else list(DEFAULT_COVARIATES)
    return CubeSpec(tuple(args.by), tuple(names), args.rules, args.scheme)


def _cube_of(typed: pd.DataFrame, args: _Arguments) -> _Cube:
    """The cube of a classified frame (already checked against its rule set)."""
    return merge_cubes([_spec(args).of(typed)])


def estimate_from_file(
    path: str | os.PathLike[str],
    by: Sequence[str] | str | None = None,
    population: pd.DataFrame | float | None = None,
    *,
    mapping: MappingLike | None = None,
    batch_size: int = 1_000_000,
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
    format: Format | None = None,
    check_unique_ids: bool = True,
    value_labels: ValueLabels = "auto",
    **kwargs: Any,
) -> pd.DataFrame:
    """:func:`femstat.estimate` of a victim file of any size, read batch by batch.

    Each batch is read (only the columns needed), mapped, validated, classified and
    reduced to the count cube the estimate works from (one row per distinct combination
    of breakdown, covariates, relationship, criteria and type; ages by age group). The
    models are fitted to, and the imputations drawn on, the merged cube: the result is
    ``fs.estimate(fs.classify(fs.read(path, mapping)), by, population, ...)``, number
    for number for the same seed, at any ``batch_size``.

    Parameters
    ----------
    path : str or path
        As for :func:`femstat.stream.counts_from_file`.
    by, population, method, m, seed, level, covariates, rules, delta, per, age_groups :
        As for :func:`femstat.estimate`.
    mapping, format, check_unique_ids, value_labels, **kwargs :
        As for :func:`femstat.stream.counts_from_file`.
    batch_size : int, default 1,000,000
        Rows per batch. Memory grows with it and with the number of distinct
        combinations, not with the file.
    progress : bool, optional
        Progress bars of the reading and of the imputations.

    Returns
    -------
    pandas.DataFrame
        As :func:`femstat.estimate`.

    Raises
    ------
    femstat.ValidationError
        As :func:`femstat.stream.counts_from_file` (row positions are those in the file).
    femstat.estimates.EstimateError
        As :func:`femstat.estimate`.
    """
    reading = {
        "mapping": mapping,
        "format": format,
        "batch_rows": batch_size,
        "check_unique_ids": check_unique_ids,
        "value_labels": value_labels,
        **kwargs,
    }
    return _estimate_file(
        path,
        by,
        population,
        reading=reading,
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


def _estimate_file(
    path: str | os.PathLike[str],
    by: Sequence[str] | str | None,
    population: pd.DataFrame | float | None,
    *,
    reading: Mapping[str, Any],
    progress: bool | None,
    rules: RuleSet | None,
    **options: Any,
) -> pd.DataFrame:
    """:func:`estimate_from_file`: the cube of the file, batch by batch."""
    if rules is not None and not isinstance(rules, RuleSet):
        raise EstimateTypeError(f"rules must be a femstat.RuleSet, got {type(rules).__name__}")
    args = _arguments(by, rules=rules or UN_2022, **options)
    cube = file_cube(path, _spec(args), progress=progress, **reading)
    return _estimate_cube(cube, args, population, progress)


def _estimate_dask(
    ddf: Any,
    by: Sequence[str] | str | None,
    population: pd.DataFrame | float | None,
    *,
    progress: bool | None,
    rules: RuleSet | None,
    **options: Any,
) -> pd.DataFrame:
    """:func:`femstat.dask.estimate`: the cube of a classified Dask frame."""
    if rules is not None and not isinstance(rules, RuleSet):
        raise EstimateTypeError(f"rules must be a femstat.RuleSet, got {type(rules).__name__}")
    args = _arguments(by, rules=rules or UN_2022, **options)

    def check(frame: pd.DataFrame) -> None:
        _rules_of(frame, rules)

    cube = dask_cube(ddf, _spec(args), check)
    return _estimate_cube(cube, args, population, progress)


def _estimate_cube(
    cube: _Cube,
    args: _Arguments,
    population: pd.DataFrame | float | None,
    progress: bool | None,
) -> pd.DataFrame:
    """:func:`estimate` of the data a cube counts."""
    by_list, chosen, method = args.by, args.rules, args.method
    cov_names, scheme = args.covariates, args.scheme
    prep = _prepare(
        cube.frame, cube.weights, by_list, cov_names, chosen, scheme, models=method == "impute"
    )
    pop = _population(prep.keys, population, by_list) if population is not None else None
    if method == "impute":
        draws = _impute_counts(prep, args.m, args.seed, args.delta, progress)
        out = _pooled_table(prep, by_list, draws, args.level, pop, args.per)
        models: dict[str, Any] = {}
        if prep.rel_model is not None:
            models["relationship_group"] = _model_record(prep.rel_model)
        for name, model in zip(chosen.criteria, prep.crit_models, strict=True):
            if model is not None:
                models[name] = _model_record(model)
        meta: dict[str, Any] = {
            "method": "impute",
            "m": args.m,
            "seed": args.seed,
            "delta": args.delta,
            "assumption": IMPUTE_ASSUMPTION,
            "models": models,
            "covariates": [c.name for c in prep.covariates],
            "pooled_rare_levels": {c.name: c.pooled for c in prep.covariates if c.pooled},
            "rate_dfcom": RATE_DFCOM,
            "rate_interval": RATE_INTERVAL,
            "reference": (
                "Rubin (1987) Multiple Imputation for Nonresponse in Surveys; Barnard and "
                "Rubin (1999) Biometrika 86(4):948-955; van Buuren (2018) Flexible "
                "Imputation of Missing Data, 2nd ed."
            ),
        }
    else:
        out = _allocate(prep, cube, by_list, cov_names or [], scheme, args.level, pop, args.per)
        meta = {
            "method": "allocate",
            "m": None,
            "seed": None,
            "delta": None,
            "assumption": ALLOCATE_ASSUMPTION,
            "strata": [*by_list, *(cov_names or [])],
            "interval": (
                "normal approximation: binomial variation of the undetermined records' types "
                "plus the sampling variance of the stratum proportions (delta method)"
            ),
            "rate_interval": (
                "gamma interval (Fay and Feuer 1997) with that variance plus the Poisson "
                "variance of the count"
            ),
        }
    from femstat import __version__

    out.attrs[ATTRS_KEY] = {
        **meta,
        "level": args.level,
        "by": by_list,
        "rule_set": chosen.name,
        "rule_fingerprint": rule_fingerprint(chosen),
        "per": args.per,
        "femstat_version": __version__,
    }
    return out


def _model_record(model: _Model) -> dict[str, Any]:
    return {
        "formula": model.formula,
        "ridge": model.fit.ridge,
        "converged": model.fit.converged,
    }


def sensitivity(
    typed: pd.DataFrame,
    threshold: float,
    *,
    target: str = "partner_or_family",
    measure: str = "share",
    deltas: Sequence[float] = (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0),
    by: Sequence[str] | str | None = None,
    population: pd.DataFrame | float | None = None,
    m: int = 20,
    seed: int | None = None,
    level: float = 0.95,
    covariates: Sequence[str] | None = None,
    rules: RuleSet | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Delta adjustment and tipping point: how far from missing at random changes a conclusion.

    For each ``delta`` the imputation model's log-odds of the qualifying relationships
    (intimate partner, family member) are shifted by ``delta`` for the records whose
    relationship is unknown (odds ratio ``exp(delta)`` against known records with the same
    covariates), and the estimate is made again with the same seed. The conclusion at each
    delta compares the interval of ``target``'s ``measure`` with ``threshold``: ``"above"``
    (lower limit above it), ``"below"`` (upper limit below it) or ``"inconclusive"``.

    Parameters
    ----------
    typed : pandas.DataFrame
        Classified microdata.
    threshold : float
        The value the conclusion is about, in the units of ``measure``.
    target : str, default ``"partner_or_family"``
        A row of :data:`ESTIMATE_ROWS`.
    measure : {"share", "count", "rate"}, default "share"
        ``rate`` needs ``population``.
    deltas : sequence of float
        The grid of log odds ratios; 0 (missing at random) is added if absent.
    by, population, m, seed, level, covariates, rules, progress :
        As for :func:`estimate`.

    Returns
    -------
    pandas.DataFrame
        One row per group and delta: ``delta``, ``odds_ratio``, ``estimate``, ``lower``,
        ``upper`` (of ``measure``), ``conclusion``, and per group ``tipping_delta``: the
        delta of the grid closest to 0 at which the conclusion differs from the one at
        delta 0 (NaN if none does). ``attrs["femstat_estimate"]`` says what was asked.
    """
    if target not in ESTIMATE_ROWS or target == "out_of_scope":
        raise EstimateError(
            f"target={target!r} is not an estimated row; pass one of "
            f"{[r for r in ESTIMATE_ROWS if r != 'out_of_scope']}"
        )
    measure = _check_choice(measure, "measure", ("share", "count", "rate"))
    if measure == "rate" and population is None:
        raise EstimateError("measure='rate' needs population=...; pass it, or measure='share'")
    threshold = _check_number(threshold, "threshold", "pass e.g. threshold=0.5 for a share")
    grid = _check_deltas(deltas)
    seed_used = _check_seed(seed)
    columns = {
        "share": ("share", "share_lower", "share_upper"),
        "count": ("estimate", "lower", "upper"),
        "rate": ("rate", "rate_lower", "rate_upper"),
    }[measure]
    by_list = _names(by, "by")
    parts = []
    meta: dict[str, Any] = {}
    for d in grid:
        table = estimate(
            typed,
            by_list,
            population,
            m=m,
            seed=seed_used,
            level=level,
            covariates=covariates,
            rules=rules,
            delta=d,
            progress=progress,
        )
        meta = dict(table.attrs[ATTRS_KEY])
        type_column = (rules or UN_2022).type_column
        rows = table[table[type_column] == target]
        part = rows[by_list].reset_index(drop=True)
        part["delta"] = d
        part["odds_ratio"] = float(np.exp(d))
        part["estimate"] = rows[columns[0]].to_numpy()
        part["lower"] = rows[columns[1]].to_numpy()
        part["upper"] = rows[columns[2]].to_numpy()
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    t = float(threshold)
    out["conclusion"] = np.where(
        out["lower"] > t, "above", np.where(out["upper"] < t, "below", "inconclusive")
    )
    n_groups = len(parts[0])
    conclusions = out["conclusion"].to_numpy().reshape(len(grid), n_groups)
    at_zero = conclusions[grid.index(0.0)]
    tipping = np.full(n_groups, np.nan)
    order = np.argsort(np.abs(np.array(grid)), kind="stable")
    for g in range(n_groups):
        for i in order:
            if conclusions[i, g] != at_zero[g]:
                tipping[g] = grid[i]
                break
    out["tipping_delta"] = np.tile(tipping, len(grid))
    out.attrs[ATTRS_KEY] = {
        **meta,
        "delta": None,
        "analysis": "sensitivity (delta adjustment)",
        "target": target,
        "measure": measure,
        "threshold": t,
        "deltas": grid,
        "adjustment": (
            "delta is added to the log-odds of the qualifying relationships (intimate "
            "partner, family member) of the records whose relationship is imputed; "
            "exp(delta) is the odds ratio of being killed by a partner or family member "
            "for a victim whose relationship is unknown, against one whose relationship is "
            "known with the same covariates. delta = 0 is missing at random."
        ),
    }
    return out


def sensitivity_difference(
    typed: pd.DataFrame,
    compare: tuple[str, Any, Any],
    *,
    target: str = "partner_or_family",
    measure: str = "share",
    apply_to: str = "both",
    deltas: Sequence[float] = (-3.0, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0),
    population: pd.DataFrame | float | None = None,
    m: int = 20,
    seed: int | None = None,
    level: float = 0.95,
    covariates: Sequence[str] | None = None,
    rules: RuleSet | None = None,
    tolerance: float = 0.01,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Tipping point of a difference between two groups: how far from missing at random
    the undetermined would have to be for "A differs from B" to stop holding (or start).

    The two groups are two levels of one column (two years, two areas). For each ``delta``
    the log-odds of the qualifying relationships (intimate partner, family member) of the
    records whose relationship is imputed are shifted by ``delta`` in the groups
    ``apply_to`` names, as :func:`sensitivity` does, and the difference is estimated again
    with the same seed: the difference of ``target``'s shares of female homicide
    (``measure="share"``, no difference: 0) or the ratio of its rates
    (``measure="rate"``, no difference: 1). The tipping delta, the delta closest to 0 at
    which the conclusion changes, is then found between the grid points by bisection, to
    ``tolerance``: there the interval of the difference reaches no difference.

    Parameters
    ----------
    typed : pandas.DataFrame
        Classified microdata.
    compare : (str, value, value)
        The column and the two levels compared, A then B: ``("year", 2021, 2022)``.
    target : str, default ``"partner_or_family"``
        A row of :data:`ESTIMATE_ROWS`.
    measure : {"share", "rate"}, default "share"
        ``"rate"`` needs ``population`` (per level of the column).
    apply_to : {"both", "first", "second"}, default "both"
        Whose unknown relationships depart from missing at random: both groups alike, or
        only A, or only B (the usual question: "if B's undetermined were partners more
        often than its known cases...").
    deltas : sequence of float
        The grid of log odds ratios searched; 0 is added if absent.
    tolerance : float, default 0.01
        Precision of the tipping delta.
    population, m, seed, level, covariates, rules, progress :
        As for :func:`estimate`.

    Returns
    -------
    pandas.DataFrame
        One row per delta of the grid: ``delta``, ``odds_ratio``, ``estimate``, ``lower``,
        ``upper`` (of the difference of shares or of the rate ratio, A against B),
        ``conclusion`` (``"A > B"``, ``"A < B"`` or ``"no difference"``, with the levels'
        names), and ``tipping_delta`` (NaN if no delta of the grid's range changes the
        conclusion). ``attrs["femstat_estimate"]`` says what was asked, and gives the
        interval (estimate, lower, upper) at the tipping delta and ``tolerance`` before it
        (``tipping_interval``, ``interval_before_tipping``): the limit that crosses no
        difference lies on either side of it.

    Notes
    -----
    Delta adjustment (van Buuren 2018, section 6.2 and 9.2; Carpenter and Kenward 2013,
    chapter 10). Each completed data set gives the difference :math:`Q_l`: of shares
    (census: no complete-data variance), or of log rates with the Poisson variance
    :math:`1/x_A + 1/x_B`; Rubin's rules combine them as for :func:`estimate`. The
    draws are those of the cube, so the limits move in small steps as delta moves: at
    the tipping delta the limit is within one such step of no difference.
    """
    chosen = _rules_of(typed, rules)
    if not (
        isinstance(compare, tuple | list) and len(compare) == 3 and isinstance(compare[0], str)
    ):
        raise EstimateTypeError(
            "compare must be (column, level A, level B), e.g. compare=('year', 2021, 2022)"
        )
    column, first, second = compare
    if target not in ESTIMATE_ROWS or target in ("out_of_scope", "female_homicide"):
        raise EstimateError(
            f"target={target!r} is not a row whose share can differ; pass one of "
            f"{[r for r in ESTIMATE_ROWS if r not in ('out_of_scope', 'female_homicide')]}"
        )
    measure = _check_choice(measure, "measure", ("share", "rate"))
    apply_to = _check_choice(apply_to, "apply_to", ("both", "first", "second"))
    if measure == "rate" and population is None:
        raise EstimateError("measure='rate' needs population=...; pass it, or measure='share'")
    tolerance = _check_number(tolerance, "tolerance", "pass e.g. tolerance=0.01")
    if not tolerance > 0:
        raise EstimateError(f"tolerance must be positive, got {tolerance!r}")
    grid = _check_deltas(deltas)
    args = _arguments([column], "impute", m, level, seed, 0.0, 100_000, covariates, "unodc", chosen)
    cube = _cube_of(typed, args)
    prep = _prepare(cube.frame, cube.weights, args.by, args.covariates, chosen, args.scheme)
    labels = prep.keys[column].astype(str).tolist()
    where = []
    for value in (first, second):
        if str(value) not in labels:
            raise EstimateError(
                f"{column!r} has no level {value!r} among the victims; pass two of its levels"
            )
        where.append(labels.index(str(value)))
    if where[0] == where[1]:
        raise EstimateError("compare names the same level twice; pass two different levels")
    pop = None
    if population is not None:
        pop = _population(prep.keys, population, args.by)[where]
    row = ESTIMATE_ROWS.index(target)
    fh = prep.observed[where, ESTIMATE_ROWS.index("female_homicide")]
    if measure == "share" and np.any(fh <= 0):
        raise EstimateError(f"a compared level of {column!r} has no female homicide victim")
    chosen_groups = {"both": where, "first": where[:1], "second": where[1:]}[apply_to]
    null = 0.0 if measure == "share" else 1.0

    def interval(delta: float) -> tuple[float, float, float]:
        shift = np.zeros(prep.n_groups)
        shift[chosen_groups] = delta
        draws = _impute_counts(prep, args.m, args.seed, shift, False)[:, where, row]
        if measure == "share":
            pooled = pool(draws[:, 0] / fh[0] - draws[:, 1] / fh[1], 0.0)
        else:
            if np.any(draws <= 0):
                raise EstimateError(
                    f"a completed count of {target!r} is 0 in a compared group: its rate "
                    "ratio is undefined. Compare shares (measure='share') or larger groups."
                )
            assert pop is not None
            log_ratio = np.log(draws[:, 0] / pop[0]) - np.log(draws[:, 1] / pop[1])
            variance = 1.0 / draws[:, 0] + 1.0 / draws[:, 1]
            pooled = pool(log_ratio[:, None], variance[:, None], dfcom=RATE_DFCOM)
        lower, upper = pooled.interval(args.level)
        q, lo, up = float(pooled.qbar[0]), float(lower[0]), float(upper[0])
        if measure == "rate":
            return math.exp(q), math.exp(lo), math.exp(up)
        return q, lo, up

    names = (f"{column}={first}", f"{column}={second}")

    def conclusion(limits: tuple[float, float, float]) -> str:
        if limits[1] > null:
            return f"{names[0]} > {names[1]}"
        if limits[2] < null:
            return f"{names[0]} < {names[1]}"
        return "no difference"

    with _progress(progress, len(grid)) as advance:
        results = []
        for d in grid:
            results.append(interval(d))
            advance()
    conclusions = [conclusion(r) for r in results]
    at_zero = conclusions[grid.index(0.0)]
    tipping = np.nan
    tipping_limits: tuple[float, float, float] | None = None
    before_limits: tuple[float, float, float] | None = None
    zero = grid.index(0.0)
    for side in (range(zero + 1, len(grid)), range(zero - 1, -1, -1)):
        previous = 0.0
        for i in side:
            if conclusions[i] != at_zero:
                # Bisection between the last delta with the conclusion at 0 and this one.
                inside, outside = previous, grid[i]
                while abs(outside - inside) > tolerance:
                    middle = (inside + outside) / 2.0
                    if conclusion(interval(middle)) == at_zero:
                        inside = middle
                    else:
                        outside = middle
                if np.isnan(tipping) or abs(outside) < abs(tipping):
                    tipping, tipping_limits = outside, interval(outside)
                    before_limits = interval(inside)
                break
            previous = grid[i]
    out = pd.DataFrame(
        {
            "delta": grid,
            "odds_ratio": np.exp(grid),
            "estimate": [r[0] for r in results],
            "lower": [r[1] for r in results],
            "upper": [r[2] for r in results],
            "conclusion": conclusions,
        }
    )
    out["tipping_delta"] = tipping
    out.attrs[ATTRS_KEY] = {
        "analysis": "sensitivity of a difference (delta adjustment)",
        "compare": [column, first, second],
        "target": target,
        "measure": "difference of shares" if measure == "share" else "rate ratio",
        "no_difference": null,
        "apply_to": apply_to,
        "deltas": grid,
        "tolerance": tolerance,
        "tipping_interval": None if tipping_limits is None else list(tipping_limits),
        "interval_before_tipping": None if before_limits is None else list(before_limits),
        "method": "impute",
        "m": args.m,
        "seed": args.seed,
        "level": args.level,
        "rule_set": chosen.name,
        "assumption": IMPUTE_ASSUMPTION,
        "reference": (
            "van Buuren (2018) Flexible Imputation of Missing Data, 2nd ed., sections 6.2 "
            "and 9.2; Carpenter and Kenward (2013) Multiple Imputation and its Application, "
            "chapter 10"
        ),
    }
    return out


def simulate(
    n: int, *, seed: int, years: tuple[int, int] = (2020, 2022)
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Data with a known truth for validating :func:`estimate` by simulation.

    Every record is a female victim of intentional homicide (:func:`femstat.synth.generate`
    for the other columns). The relationship group depends on the place, the mechanism and
    the victim's age group; the criteria depend on the relationship group. Then values are
    hidden *at random given the covariates*: the relationship more often for killings in a
    public space or by firearm, the criteria all together for cases not investigated (more
    often in the first year), and each criterion alone now and then.

    Parameters
    ----------
    n : int
        Number of records.
    seed : int
        Seed of the random draws.
    years : (int, int)

    Returns
    -------
    complete, masked : pandas.DataFrame
        The classified complete data (the truth) and the classified data with values
        hidden, row for row.
    """
    rng = np.random.default_rng(seed)
    frame = synth.generate(
        n, seed=int(rng.integers(2**31)), years=years, female_share=1.0, out_of_scope_iccs_share=0
    )
    place = frame["place"].astype(str).map(C.PLACE_GROUP).to_numpy()
    mechanism = frame["mechanism"].astype(str).to_numpy()
    age = frame["victim_age"].to_numpy(dtype=np.float64, na_value=np.nan)
    dwelling = place == "dwelling"
    public = place == "public_space"
    firearm = mechanism == "firearm"
    child = age < 15
    # Log-odds against "other known" for partner, family and stranger.
    eta = np.zeros((n, 4))
    eta[:, 0] = 0.6 + 1.2 * dwelling - 0.8 * public - 3.0 * child
    eta[:, 1] = -0.2 + 0.8 * dwelling + 1.5 * child
    eta[:, 3] = -0.5 + 1.0 * public + 0.7 * firearm - 0.8 * dwelling
    prob = np.exp(eta)
    prob /= prob.sum(axis=1, keepdims=True)
    group = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)[:, :-1]).sum(axis=1)
    frame["relationship"] = pd.Categorical.from_codes(
        _RELATIONSHIP_OF_GROUP[group], dtype=C.RELATIONSHIP.dtype
    )
    # P(criterion true) by relationship group: partner, family, other known, stranger.
    p_true = {
        "prior_violence": (0.45, 0.25, 0.12, 0.0),
        "sexual_violence": (0.04, 0.03, 0.10, 0.18),
        "body_in_public_space": (0.03, 0.03, 0.10, 0.20),
    }
    for name in C.CRITERIA:
        p = np.asarray(p_true.get(name, (0.02, 0.02, 0.03, 0.04)))[group]
        frame[name] = pd.array(rng.random(n) < p, dtype="boolean")
    complete = classify(frame)
    masked = frame.copy()
    year = frame["year"].to_numpy(dtype=np.int64)
    hide_rel = rng.random(n) < special.expit(-0.9 + 0.9 * public + 0.6 * firearm)
    masked.loc[hide_rel, "relationship"] = "unknown"
    not_investigated = rng.random(n) < np.where(year == years[0], 0.35, 0.2)
    for name in C.CRITERIA:
        values = masked[name].array.copy()
        values[not_investigated | (rng.random(n) < 0.03)] = pd.NA
        masked[name] = values
    return complete, classify(masked)

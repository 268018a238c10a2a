"""National legal rule sets shipped as data, and the UN count beside them.

Each file in ``femstat/rulesets/*.toml`` describes one national definition of femicide in
the framework's variables: the criteria columns, the relationship groups that qualify by
themselves, and the extensions a law needs (which victims are in scope, a perpetrator-sex
condition, linked victims). No country has code of its own: :class:`femstat.RuleSet`
decides every record, and :func:`compare_rule_sets` puts the counts side by side.

The decision procedure for extended rule sets is tabulated once per rule set
(:attr:`femstat.RuleSet.extended_table`) and read with one look-up per record, as the
framework's rule is.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.classify import (
    UN_2022,
    RuleSet,
    classify,
)
from femstat.errors import RuleSetError

__all__ = [
    "RuleSetError",
    "circumstances",
    "compare_rule_sets",
    "load_toml",
    "rule_set",
    "rule_sets",
]


def load_toml(path: str | os.PathLike[str], *, source: str | None = None) -> RuleSet:
    """Read a rule set from a TOML file: :meth:`femstat.RuleSet.from_toml`."""
    return RuleSet.from_toml(path, source=source)


def _shipped() -> dict[str, Any]:
    return {
        entry.name: entry
        for entry in resources.files("femstat").joinpath("rulesets").iterdir()
        if entry.name.endswith(".toml")
    }


@cache
def _shipped_rule_sets() -> dict[str, RuleSet]:
    out: dict[str, RuleSet] = {}
    for file_name, entry in sorted(_shipped().items()):
        with resources.as_file(entry) as path:
            rules = load_toml(path, source=file_name)
        out[rules.name] = rules
    return out


def rule_sets() -> dict[str, RuleSet]:
    """Every rule set shipped with femstat, by name (national ones; ``UN_2022`` too).

    Returns
    -------
    dict of str to RuleSet
    """
    return {"UN_2022": UN_2022, **_shipped_rule_sets()}


def rule_set(name: str) -> RuleSet:
    """A shipped rule set by name, e.g. ``"MEX_CPF_325"``.

    Raises
    ------
    RuleSetError
        (also a ``ValueError``) for a name femstat does not ship, listing those it does.
    """
    known = rule_sets()
    if name not in known:
        raise RuleSetError(
            f"no rule set named {name!r}; femstat ships {', '.join(known)}: use one of them, "
            "or load your own with femstat.RuleSet.from_toml(path)"
        )
    return known[name]


def circumstances(name: str) -> list[dict[str, Any]]:
    """The law's circumstances and how a shipped rule set reads each in femstat's variables.

    Each item has ``text`` (the circumstance, in the law's words, shortened),
    ``variables`` (femstat columns that express it) and ``gap`` (what they cannot).
    """
    rule_set(name)  # the error for an unknown name
    for entry in _shipped().values():
        with resources.as_file(entry) as path:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("name") == name:
            return [dict(item) for item in data.get("circumstances", [])]
    return []


# --------------------------------------------------------------------------------------
# Side by side

COMPARISON_COLUMNS: tuple[str, ...] = (
    "femicide",
    *C.FEMICIDE,
    "linked_victims",
    "undetermined",
    "counted_by_both",
    "only_this_rule_set",
    "only_un",
)
"""Count columns of :func:`compare_rule_sets`, after the rule set's name and the ``by``."""


def resolve(rules: Sequence[RuleSet | str]) -> list[RuleSet]:
    """Rule sets given as objects or shipped names, each once, in the order given."""
    out: list[RuleSet] = []
    for item in rules:
        resolved = item if isinstance(item, RuleSet) else rule_set(item)
        if resolved not in out:  # the same rule set named twice counts once
            out.append(resolved)
    if not any(r.type_column == UN_2022.type_column for r in out):
        out.insert(0, UN_2022)
    columns = [r.type_column for r in out]
    if len(set(columns)) != len(columns):
        raise RuleSetError(
            "two rule sets write the same type column "
            f"({', '.join(c for c in columns if columns.count(c) > 1)}); give each its own"
        )
    return out


def cross_counts(typed: pd.DataFrame, rules: RuleSet, by: Sequence[str] = ()) -> pd.DataFrame:
    """The UN types of ``typed`` broken down by a national rule set's types (and ``by``).

    A count cube of :func:`femstat.counts` (``femicide_type`` by ``by`` and
    ``rules.type_column``): every number of :func:`compare_rule_sets` is a sum of its
    cells, so protecting this cube with the rest of a release protects the comparison.
    """
    from femstat.counts import counts

    return counts(typed, [*by, rules.type_column])


def _sums(cube: pd.DataFrame, by: list[str], masks: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Per group of ``by``, the sum of ``count`` over each mask; NA when a summed cell is.

    A sum over a withheld cell is withheld too: with the cells it does publish, it would
    give the withheld one back.
    """
    count = cube["count"].to_numpy(dtype=np.float64, na_value=np.nan)
    frame = pd.DataFrame(
        {name: np.where(mask, count, 0.0) for name, mask in masks.items()}, index=cube.index
    )
    if by:
        keys = [cube[c] for c in by]
        total = frame.groupby(keys, observed=True, sort=False).sum(min_count=0)
        hidden = frame.isna().groupby(keys, observed=True, sort=False).any()
        return total.mask(hidden).reset_index()
    return frame.sum(min_count=0).mask(frame.isna().any()).to_frame().T


def comparison_from_cross(
    cubes: Mapping[str, pd.DataFrame],
    rules: Sequence[RuleSet],
    by: Sequence[str] = (),
    *,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The side-by-side table from cubes of :func:`cross_counts` (protected or not).

    Parameters
    ----------
    cubes : mapping of str to DataFrame
        One cube per national rule set, by rule set name.
    rules : sequence of RuleSet
        The rule sets, the reference (``femicide_type``) first.
    by : sequence of str
    reference : DataFrame, optional
        A count cube of the reference types by ``by``, for a comparison without national
        rule sets.

    Returns
    -------
    pandas.DataFrame
        As :func:`compare_rule_sets`; a number that sums a withheld cell is missing.
    """
    by = list(by)
    frames = []
    un_type = UN_2022.type_column
    for rules_ in rules:
        if rules_.type_column == un_type:
            cube = next(iter(cubes.values())) if cubes else reference
            if cube is None:
                raise RuleSetError("give a reference cube or at least one national cube")
            types = cube[un_type].astype(str).to_numpy()
            counted = np.isin(types, C.FEMICIDE)
            masks = {
                "femicide": counted,
                **{t: types == t for t in C.FEMICIDE},
                "linked_victims": np.zeros(len(cube), dtype=bool),
                "undetermined": types == "undetermined",
                "counted_by_both": counted,
                "only_this_rule_set": np.zeros(len(cube), dtype=bool),
                "only_un": np.zeros(len(cube), dtype=bool),
            }
        else:
            cube = cubes[rules_.name]
            types = cube[rules_.type_column].astype(str).to_numpy()
            counted = np.isin(types, C.FEMICIDE)
            un_counted = np.isin(cube[un_type].astype(str).to_numpy(), C.FEMICIDE)
            masks = {
                "femicide": counted,
                **{t: types == t for t in C.FEMICIDE},
                "linked_victims": types == str(rules_.linked_type),
                "undetermined": types == "undetermined",
                "counted_by_both": counted & un_counted,
                "only_this_rule_set": counted & ~un_counted,
                "only_un": un_counted & ~counted,
            }
        table = _sums(cube, by, masks)
        table.insert(0, "rule_set", rules_.name)
        frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["rule_set"] = pd.Categorical(out["rule_set"], categories=[r.name for r in rules])
    for c in COMPARISON_COLUMNS:
        out[c] = out[c].round().astype("Int64")
    return out[["rule_set", *by, *COMPARISON_COLUMNS]]


def compare_rule_sets(
    typed: pd.DataFrame,
    rules: Sequence[RuleSet | str],
    *,
    by: Sequence[str] | str | None = None,
) -> pd.DataFrame:
    """The UN statistical count and national legal counts of the same records, side by side.

    Parameters
    ----------
    typed : pandas.DataFrame
        Victim data; rule sets whose type column it lacks are applied first (raw data is
        validated first, as :func:`femstat.classify` does).
    rules : sequence of RuleSet or str
        Rule sets or shipped names (:func:`rule_set`). ``UN_2022`` is added first when no
        rule set writes ``femicide_type``: it is the reference.
    by : str or sequence of str, optional
        Breakdown columns (not identifiers).

    Returns
    -------
    pandas.DataFrame
        One row per rule set (per group of ``by``): ``rule_set``, ``by``, then
        :data:`COMPARISON_COLUMNS`: the femicide count (the UN types ``intimate_partner``,
        ``family_member``, ``other_perpetrator`` of that rule set's column), each of them,
        linked victims (the rule set's own class, 0 when it has none), undetermined, and
        the records counted as femicide by both this rule set and the UN one, by this one
        only, by the UN one only. Counts only: no record is identified. Every number is a
        sum of cells of :func:`cross_counts`.
    """
    from femstat.counts import check_breakdown, counts

    by_list = [] if by is None else [by] if isinstance(by, str) else list(by)
    check_breakdown(by_list)
    rule_list = resolve(rules)
    missing = [r for r in rule_list if r.type_column not in typed.columns]
    if missing:
        typed = classify(typed, rules=missing)
    absent = [c for c in by_list if c not in typed.columns]
    if absent:
        raise RuleSetError(
            f"breakdown column(s) {absent} are not in the data ({len(typed)} rows); "
            "choose columns the frame has"
        )
    national = [r for r in rule_list if r.type_column != UN_2022.type_column]
    cubes = {r.name: cross_counts(typed, r, by_list) for r in national}
    reference = None if cubes else counts(typed, by_list)
    return comparison_from_cross(cubes, rule_list, by_list, reference=reference)

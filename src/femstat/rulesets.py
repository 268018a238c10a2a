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
    _GROUPS,
    LINKED_STATES,
    SCOPE_STATES,
    UN_2022,
    RuleSet,
    RuleSetError,
    _codes,
    _iccs_codes,
    classify,
    facts,
)

__all__ = [
    "RuleSetError",
    "circumstances",
    "classify_codes_extended",
    "compare_rule_sets",
    "load_toml",
    "rule_set",
    "rule_sets",
]

_TOP_KEYS = {
    "name",
    "title",
    "country",
    "description",
    "type_column",
    "criteria_column",
    "legal",
    "criteria",
    "qualifying_groups",
    "scope",
    "perpetrator_sex",
    "linked_victims",
    "circumstances",
}
_LEGAL_KEYS = ("law", "article", "text_date", "url")
_REQUIRED = ("name", "title", "country", "type_column", "criteria_column", "legal", "criteria")


def _refuse(source: str, key: str, problem: str, fix: str) -> RuleSetError:
    return RuleSetError(f"rule set file {source}: key {key!r} {problem}; {fix}")


def _strings(source: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _refuse(source, key, "must be a list of strings", 'write it as ["a", "b"]')
    return tuple(value)


def _table(source: str, key: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _refuse(source, key, "must be a table", f"write it as a [{key}] section")
    return value


def load_toml(path: str | os.PathLike[str], *, source: str | None = None) -> RuleSet:
    """Read a rule set from a TOML file, checking every key.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (see ``docs/rulesets.md`` for its keys).
    source : str, optional
        How to name the file in error messages (defaults to its file name).

    Returns
    -------
    RuleSet

    Raises
    ------
    RuleSetError
        For a file that is not TOML, lacks a required key, has an unknown key or a value
        of the wrong kind; the message names the key and what to write instead.
    """
    path = Path(path)
    name = source or path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError(
            f"rule set file {name} is not valid TOML ({exc}); fix the syntax at that place"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleSetError(
            f"rule set file {name} cannot be read ({type(exc).__name__}); give the path of "
            "a UTF-8 TOML file"
        ) from None
    return _from_mapping(data, name)


def _from_mapping(data: Mapping[str, Any], source: str) -> RuleSet:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _refuse(
            source, unknown[0], "is not a rule set key", f"use only {', '.join(sorted(_TOP_KEYS))}"
        )
    for key in _REQUIRED:
        if key not in data:
            raise _refuse(source, key, "is missing", "add it (see docs/rulesets.md)")
    for key in ("name", "title", "country", "description", "type_column", "criteria_column"):
        if key in data and not isinstance(data[key], str):
            raise _refuse(source, key, "must be a string", f'write {key} = "..."')
    if not data["name"].isidentifier():
        raise _refuse(source, "name", "must be an identifier", "use letters, digits and _")
    if len(data["country"]) != 3 or not data["country"].isalpha():
        raise _refuse(source, "country", "must be an ISO 3166 alpha-3 code", 'write e.g. "MEX"')
    legal = _table(source, "legal", data["legal"])
    for key in _LEGAL_KEYS:
        if not isinstance(legal.get(key), str) or not legal[key]:
            raise _refuse(source, f"legal.{key}", "is missing or empty", "cite the law's text")
    criteria = _table(source, "criteria", data["criteria"])
    for key in criteria:
        if key != "columns":
            raise _refuse(source, f"criteria.{key}", "is not a key", "use only columns")
    columns = _strings(source, "criteria.columns", criteria.get("columns"))
    groups = _table(source, "qualifying_groups", data.get("qualifying_groups", {}))
    scope = _table(source, "scope", data.get("scope", {}))
    for key in scope:
        if key not in ("victim_sex", "victim_gender_identity"):
            raise _refuse(
                source,
                f"scope.{key}",
                "is not a scope key",
                "use victim_sex, victim_gender_identity",
            )
    perpetrator = _table(source, "perpetrator_sex", data.get("perpetrator_sex", {}))
    linked = _table(source, "linked_victims", data.get("linked_victims", {}))
    for key in linked:
        if key not in ("type", "label", "victim_sex"):
            raise _refuse(
                source, f"linked_victims.{key}", "is not a key", "use type, label, victim_sex"
            )
    if linked and not isinstance(linked.get("type"), str):
        raise _refuse(source, "linked_victims.type", "is missing", 'name the class: type = "..."')
    for i, item in enumerate(data.get("circumstances", [])):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise _refuse(
                source,
                f"circumstances[{i}]",
                "needs a text",
                'write text = "..." in [[circumstances]]',
            )
    try:
        return RuleSet(
            name=data["name"],
            criteria=columns,
            qualifying_groups={str(k): str(v) for k, v in groups.items()},
            type_column=data["type_column"],
            criteria_column=data["criteria_column"],
            description=data.get("description", ""),
            reference=(
                f"{legal['law']}, {legal['article']} (text of {legal['text_date']}), {legal['url']}"
            ),
            scope_victim_sex=_strings(
                source, "scope.victim_sex", scope.get("victim_sex", ["female"])
            ),
            scope_gender_identity=_strings(
                source, "scope.victim_gender_identity", scope.get("victim_gender_identity", [])
            ),
            perpetrator_sex={
                str(k): _strings(source, f"perpetrator_sex.{k}", v) for k, v in perpetrator.items()
            },
            linked_type=linked.get("type"),
            linked_victim_sex=_strings(
                source,
                "linked_victims.victim_sex",
                linked.get("victim_sex", ["female", "male", "unknown"]),
            ),
            title=data["title"],
            country=data["country"],
            legal={k: str(v) for k, v in legal.items()},
        )
    except ValueError as exc:  # RuleSetError too: name the file unless already named
        if str(exc).startswith("rule set file"):
            raise
        raise RuleSetError(f"rule set file {source}: {exc}") from None


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
# Classification with extensions


def _string_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Values as text and whether each is missing (any dtype the column may have)."""
    text = series.astype("string")
    missing = text.isna().to_numpy()
    return text.fillna("").to_numpy(dtype=object), missing


def _scope(df: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Each record's index in :data:`femstat.classify.SCOPE_STATES`."""
    n = len(df)
    iccs = _iccs_codes(df)
    if iccs is None:
        homicide = np.ones(n, dtype=bool)
    else:
        iccs_codes, intentional = iccs
        homicide = np.append(intentional, False)[iccs_codes]
    sex = _codes(df, "victim_sex", C.SEX)
    in_scope = np.isin(sex, [C.SEX.code_of(s) for s in rules.scope_victim_sex])
    unknown = np.zeros(n, dtype=bool)
    # femstat reads the gender identity when the column is present; without it the scope
    # is by sex alone (say so in the docs: such a count misses trans women recorded male).
    if rules.scope_gender_identity and "victim_gender_identity" in df.columns:
        values, missing = _string_values(df["victim_gender_identity"])
        in_scope |= np.isin(values, list(rules.scope_gender_identity)) & ~missing
        unknown = (missing | (values == "unknown")) & ~in_scope
    state = np.full(n, SCOPE_STATES.index("other"), dtype=np.int64)
    state[in_scope] = SCOPE_STATES.index("in")
    state[unknown] = SCOPE_STATES.index("unknown")
    state[~homicide] = SCOPE_STATES.index("out")
    return state


def _perpetrator(df: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Each record's perpetrator sex as a code of ``C.SEX`` (unknown when not recorded)."""
    unknown = C.SEX.code_of("unknown")
    if not rules.perpetrator_sex or "perpetrator_sex" not in df.columns:
        return np.full(len(df), unknown, dtype=np.int64)
    codes = _codes(df, "perpetrator_sex", C.SEX).astype(np.int64)
    codes[codes < 0] = unknown
    return codes


def _linked(df: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """Each record's index in :data:`femstat.classify.LINKED_STATES`."""
    n = len(df)
    if rules.linked_type is None:
        return np.zeros(n, dtype=np.int64)
    sex = _codes(df, "victim_sex", C.SEX)
    # A victim whose sex the rule set's linked class does not take is never linked, known
    # or not (Spain's vicarious category counts women only).
    may_be_linked = np.isin(sex, [C.SEX.code_of(s) for s in rules.linked_victim_sex])
    state = np.full(n, LINKED_STATES.index(False), dtype=np.int64)
    if "linked_victim" not in df.columns:
        state[may_be_linked] = LINKED_STATES.index(None)
        return state
    series = df["linked_victim"]
    try:
        values = series.astype("boolean")
    except (TypeError, ValueError):
        raise RuleSetError(
            f"column 'linked_victim' ({series.dtype}) is not a nullable boolean, in "
            f"{len(df)} rows read for rule set {rules.name!r}; code it true/false/missing"
        ) from None
    missing = values.isna().to_numpy() & may_be_linked
    true = values.fillna(False).to_numpy(dtype=bool) & may_be_linked
    state[true] = LINKED_STATES.index(True)
    state[missing] = LINKED_STATES.index(None)
    return state


def classify_codes_extended(df: pd.DataFrame, rules: RuleSet) -> tuple[np.ndarray, np.ndarray]:
    """Type codes (in ``rules.types`` order) and the criteria mask, for an extended rule set.

    Called by :func:`femstat.classify` for rule sets with extensions; ``df`` is canonical.
    """
    f = facts(df, rules)
    key = _scope(df, rules)
    key = key * len(_GROUPS) + f["group"]
    key = key * len(C.SEX.codes) + _perpetrator(df, rules)
    key = key * 2 + (f["criteria_met"] != 0)
    key = key * 2 + f["any_unknown"]
    key = key * len(LINKED_STATES) + _linked(df, rules)
    return rules.extended_table[key], f["criteria_met"]


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


def _resolve(rules: Sequence[RuleSet | str]) -> list[RuleSet]:
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
    rule_list = _resolve(rules)
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

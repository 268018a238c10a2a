"""Reading a rule set's TOML file into the arguments of :class:`femstat.RuleSet`.

Kept apart from :mod:`femstat.classify` (which defines the rule) and
:mod:`femstat.rulesets` (which ships the national rule sets and compares them) so that
the rule can load a file without depending on the modules above it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from femstat.errors import RuleSetError

__all__ = ["read_rule_file"]

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


def read_rule_file(path: str | os.PathLike[str], *, source: str | None = None) -> dict[str, Any]:
    """Read a rule set from a TOML file, checking every key.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (see ``docs/rulesets.md`` for its keys).
    source : str, optional
        How to name the file in error messages (defaults to its file name).

    Returns
    -------
    dict
        The keyword arguments of :class:`femstat.RuleSet` (checked there in turn).

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


def _from_mapping(data: Mapping[str, Any], source: str) -> dict[str, Any]:
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
    return {
        "name": data["name"],
        "criteria": columns,
        "qualifying_groups": {str(k): str(v) for k, v in groups.items()},
        "type_column": data["type_column"],
        "criteria_column": data["criteria_column"],
        "description": data.get("description", ""),
        "reference": (
            f"{legal['law']}, {legal['article']} (text of {legal['text_date']}), {legal['url']}"
        ),
        "scope_victim_sex": _strings(
            source, "scope.victim_sex", scope.get("victim_sex", ["female"])
        ),
        "scope_gender_identity": _strings(
            source, "scope.victim_gender_identity", scope.get("victim_gender_identity", [])
        ),
        "perpetrator_sex": {
            str(k): _strings(source, f"perpetrator_sex.{k}", v) for k, v in perpetrator.items()
        },
        "linked_type": linked.get("type"),
        "linked_victim_sex": _strings(
            source,
            "linked_victims.victim_sex",
            linked.get("victim_sex", ["female", "male", "unknown"]),
        ),
        "title": data["title"],
        "country": data["country"],
        "legal": {k: str(v) for k, v in legal.items()},
    }

"""Completeness: how much of the information the typology needs is actually known.

Roughly four in ten female homicide victims worldwide lack the information to be
classified (UNODC and UN Women 2022); a femicide count means little without the share of
records it could not decide. These shares are computed per group over in-scope records.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.ages import AgeScheme
from femstat.classify import UN_2022, RuleSet, classify, facts
from femstat.counts import group_cells, groups_frame

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
    data : pandas.DataFrame
        Victim microdata (validated and classified first if needed).
    by : str or sequence of str
        Breakdown columns, as for :func:`femstat.counts`.
    rules : RuleSet
        Whose criteria to inspect and whose classification gives ``undetermined``.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``female_homicide`` (in-scope records), then the shares
        ``relationship_unknown``, ``age_unknown``, ``<criterion>_unknown`` for each
        criterion of ``rules``, ``any_criterion_unknown`` and ``undetermined``. Shares of
        an empty group are NaN, not 0.
    """
    by = [by] if isinstance(by, str) else list(by)
    if rules.type_column not in data.columns:
        data = classify(data, rules=rules)
    f = facts(data, rules)
    in_scope = f["in_scope"]
    cell, encoded = group_cells(data, by, age_groups=age_groups)
    n_groups = int(np.prod([len(e.levels) for e in encoded], dtype=np.int64))
    scoped_cell = cell[in_scope]

    def per_group(flag: np.ndarray) -> np.ndarray:
        return np.bincount(scoped_cell[flag[in_scope]], minlength=n_groups)

    total = np.bincount(scoped_cell, minlength=n_groups)
    numerators: dict[str, np.ndarray] = {
        "relationship_unknown": per_group(f["group"] == C.RELATIONSHIP_GROUP.code_of("unknown")),
        "age_unknown": per_group(data["victim_age"].isna().to_numpy()),
    }
    for name in rules.criteria:
        unknown = (
            data[name].isna().to_numpy() if name in data.columns else np.ones(len(data), dtype=bool)
        )
        numerators[f"{name}_unknown"] = per_group(unknown)
    numerators["any_criterion_unknown"] = per_group(f["any_unknown"])
    undetermined = (data[rules.type_column] == "undetermined").to_numpy()
    numerators["undetermined"] = per_group(undetermined)

    out = groups_frame(encoded)
    out["female_homicide"] = total
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, numerator in numerators.items():
            out[name] = np.where(total > 0, numerator / np.maximum(total, 1), np.nan)
    return out

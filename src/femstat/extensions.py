"""Indicators of the extension variables: linked victims and orphans.

The extension variables (``linked_victim``, ``orphans``, ``victim_gender_identity``) go
beyond the UN framework (framework section 6). They never change a femicide type or a UN
count: the indicators here are tables of their own, beside the UN ones.

* :func:`linked_victims` counts the victims killed in connection with a femicide of the
  same event (Argentina's *femicidio vinculado*): her children, a person who tried to
  stop the killing, ...
* :func:`orphans` counts the children under 18 left by femicide victims, by femicide
  type; victims whose number of orphans is not known are counted apart, never as zero.

Both are count tables: publish them through :func:`femstat.suppress` or
:func:`femstat.protect` like the others (the report puts the cubes they derive from in
its release, see :func:`linked_status` and :func:`orphans_left`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.ages import AgeScheme, age_group
from femstat.errors import FemstatError

__all__ = [
    "LINKED_STATUS",
    "ExtensionError",
    "linked_status",
    "linked_victims",
    "orphans",
    "orphans_left",
]

LINKED_STATUS: tuple[str, ...] = ("linked_to_femicide", "linked_other", "not_linked", "unknown")
"""What :func:`linked_status` says of each victim.

``linked_to_femicide``: ``linked_victim`` is true and another victim of the same event is
a femicide; ``linked_other``: ``linked_victim`` is true but no femicide of the event is
known (no ``event_id``, or the event's women are not classified as femicides);
``not_linked``: ``linked_victim`` is false; ``unknown``: it is not known."""


class ExtensionError(FemstatError, KeyError):
    """An extension indicator was asked of a table that lacks the column it needs."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def _typed(data: pd.DataFrame, column: str, type_column: str) -> pd.DataFrame:
    if column not in data.columns:
        raise ExtensionError(
            f"the table has no {column!r} column ({len(data):,} rows), so this indicator "
            f"cannot be computed. What to do: map the source's {column} to femstat's "
            f"{column!r} (it is an optional extension variable), or leave this indicator out."
        )
    if type_column not in data.columns:
        import femstat as fs

        data = fs.classify(data)
    return data


def _by(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    keys = [by] if isinstance(by, str) else list(by)
    from femstat.counts import check_breakdown

    check_breakdown(keys)
    return keys


def linked_status(typed: pd.DataFrame, *, type_column: str = "femicide_type") -> pd.Series:
    """Each victim's place among linked victims, one of :data:`LINKED_STATUS`.

    Parameters
    ----------
    typed : pandas.DataFrame
        Classified microdata with ``linked_victim`` (and ``event_id`` to link victims).
    type_column : str, default ``"femicide_type"``
        The classification that says which victims are femicides.

    Returns
    -------
    pandas.Series
        A Categorical with the categories of :data:`LINKED_STATUS`, on ``typed``'s index.

    Notes
    -----
    An event has a femicide when one of its victims who is not herself a linked victim
    is classified as a femicide type (:data:`femstat.codes.FEMICIDE`). Event ids are only
    grouped, never returned.
    """
    typed = _typed(typed, "linked_victim", type_column)
    flag = typed["linked_victim"].astype("boolean")
    linked = flag.fillna(False).to_numpy(dtype=bool)
    unknown = flag.isna().to_numpy()
    femicide = typed[type_column].astype(str).isin(C.FEMICIDE).to_numpy() & ~linked
    with_femicide = np.zeros(len(typed), dtype=bool)
    if "event_id" in typed.columns:
        groups, _ = pd.factorize(typed["event_id"], use_na_sentinel=True)
        known = groups >= 0
        hit = np.zeros(max(int(groups.max(initial=-1)) + 1, 1), dtype=bool)
        hit[groups[femicide & known]] = True
        with_femicide = known & hit[np.where(known, groups, 0)]
    codes = np.select(
        [linked & with_femicide, linked, unknown],
        [0, 1, 3],
        default=2,
    ).astype(np.int8)
    dtype = pd.CategoricalDtype(list(LINKED_STATUS), ordered=False)
    return pd.Series(
        pd.Categorical.from_codes(codes, dtype=dtype), index=typed.index, name="linked_status"
    )


def linked_victims(
    typed: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    type_column: str = "femicide_type",
) -> pd.DataFrame:
    """Victims killed in connection with a femicide, by sex and age group.

    Parameters
    ----------
    typed : pandas.DataFrame
        Classified microdata (classified here when ``type_column`` is absent) with the
        extension variable ``linked_victim`` and the shared ``event_id``.
    by : str or sequence of str, optional
        Further breakdown columns (``year``, ``area``, ...).
    age_groups : scheme, default ``"unodc"``
        Age groups of the linked victims (:func:`femstat.age_group`).
    type_column : str, default ``"femicide_type"``

    Returns
    -------
    pandas.DataFrame
        One row per group of ``by`` x ``victim_sex`` x ``age_group``, every combination
        present (zeros explicit): ``count`` the linked victims of events with a femicide,
        and ``femicide_events`` the events with a femicide in the group of ``by``
        (the same on every row of that group), so that ``count / femicide_events`` is the
        number of linked victims per femicide event. Linked victims whose event has no
        known femicide are not counted (see :func:`linked_status`).

    Raises
    ------
    ExtensionError
        When ``typed`` has no ``linked_victim`` column.
    """
    keys = _by(by)
    typed = _typed(typed, "linked_victim", type_column)
    status = linked_status(typed, type_column=type_column)
    chosen = (status == "linked_to_femicide").to_numpy()
    frame = typed[keys].copy() if keys else pd.DataFrame(index=typed.index)
    frame["victim_sex"] = typed["victim_sex"]
    frame["age_group"] = age_group(typed["victim_age"], age_groups)
    frame["count"] = chosen.astype(np.int64)
    columns = [*keys, "victim_sex", "age_group"]
    table = (
        frame.groupby(columns, observed=False, dropna=False, sort=True)["count"].sum().reset_index()
    )
    table["count"] = table["count"].astype(np.int64)
    femicide = typed[type_column].astype(str).isin(C.FEMICIDE).to_numpy()
    events = (
        typed.loc[femicide, [*keys, "event_id"]].dropna(subset=["event_id"])
        if "event_id" in typed.columns
        else pd.DataFrame({k: [] for k in [*keys, "event_id"]})
    )
    if keys:
        per_group = (
            events.groupby(keys, observed=True, dropna=False)["event_id"]
            .nunique()
            .rename("femicide_events")
            .reset_index()
        )
        table = table.merge(per_group, on=keys, how="left")
        table["femicide_events"] = table["femicide_events"].fillna(0)
    else:
        table["femicide_events"] = events["event_id"].nunique()
    table["femicide_events"] = table["femicide_events"].astype(np.int64)
    out = table
    out.attrs["femstat"] = {"table": "linked_victims"}
    return out


def orphans_left(typed: pd.DataFrame) -> pd.Series:
    """Each victim's number of orphans as text, ``"unknown"`` when it is not known.

    A key column for a count cube (``fs.counts(typed.assign(orphans_left=...),
    by=["orphans_left"])``): the children left are the sum of the number times the count,
    and the cube can be protected with the rest of a release.
    """
    typed = _typed(typed, "orphans", "femicide_type")
    values = typed["orphans"].astype("Int64")
    text = values.astype("string").fillna("unknown")
    levels = [str(v) for v in sorted(values.dropna().unique())] + ["unknown"]
    return pd.Series(
        pd.Categorical(text.to_numpy(dtype=object), categories=levels),
        index=typed.index,
        name="orphans_left",
    )


def orphans(
    typed: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    type_column: str = "femicide_type",
) -> pd.DataFrame:
    """Children under 18 left by femicide victims, by femicide type.

    Parameters
    ----------
    typed : pandas.DataFrame
        Classified microdata (classified here when ``type_column`` is absent) with the
        extension variable ``orphans``.
    by : str or sequence of str, optional
        Further breakdown columns (``year``, ``area``, ...).
    type_column : str, default ``"femicide_type"``

    Returns
    -------
    pandas.DataFrame
        One row per group of ``by`` and femicide type (each of
        :data:`femstat.codes.FEMICIDE`, then the total ``femicide``), every combination
        present: ``victims`` (femicide victims), ``victims_known`` (of whom the number
        of orphans is known), ``orphans`` (children left by those, an integer) and
        ``victims_unknown`` (victims whose number of orphans is not known: their
        children are not in ``orphans``, which is then a lower bound).

    Raises
    ------
    ExtensionError
        When ``typed`` has no ``orphans`` column.
    """
    keys = _by(by)
    typed = _typed(typed, "orphans", type_column)
    kinds = list(C.FEMICIDE)
    types = typed[type_column].astype(str)
    chosen = types.isin(kinds).to_numpy()
    values = typed["orphans"].astype("Int64")
    frame = typed.loc[chosen, keys].copy() if keys else pd.DataFrame(index=typed.index[chosen])
    frame[type_column] = pd.Categorical(types[chosen], categories=kinds)
    frame["victims"] = 1
    known = values[chosen].notna().to_numpy()
    frame["victims_known"] = known.astype(np.int64)
    frame["orphans"] = values[chosen].fillna(0).to_numpy(dtype=np.int64)
    frame["victims_unknown"] = (~known).astype(np.int64)
    measures = ["victims", "victims_known", "orphans", "victims_unknown"]
    if keys:
        # Every group of the data's keys, crossed with every femicide type.
        levels = typed[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
        grid = levels.merge(pd.DataFrame({type_column: kinds}), how="cross")
        sums = frame.groupby([*keys, type_column], observed=True, dropna=False)[measures].sum()
        sums = sums.reset_index()
        sums[type_column] = sums[type_column].astype(str)
        out = grid.merge(sums, on=[*keys, type_column], how="left")
        out[measures] = out[measures].fillna(0)
    else:
        out = frame.groupby(type_column, observed=False)[measures].sum().reset_index()
        out[type_column] = out[type_column].astype(str)
    out[measures] = out[measures].astype(np.int64)
    total = (
        out.groupby(keys, dropna=False, sort=False)[measures].sum().reset_index()
        if keys
        else out[measures].sum().to_frame().T
    )
    total[type_column] = "femicide"
    out = pd.concat([out, total[out.columns]], ignore_index=True)
    if keys:
        order = {k: i for i, k in enumerate([*kinds, "femicide"])}
        out = out.sort_values(
            [*keys, type_column], key=lambda s: s.map(order) if s.name == type_column else s
        ).reset_index(drop=True)
    out[type_column] = pd.Categorical(out[type_column], categories=[*kinds, "femicide"])
    out[measures] = out[measures].astype(np.int64)
    out.attrs["femstat"] = {"table": "orphans"}
    return out

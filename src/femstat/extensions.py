"""Indicators of the extension variables: linked victims and orphans.

The extension variables (``linked_victim``, ``orphans``, ``victim_gender_identity``) go
beyond the UN framework (framework section 6). They never change a femicide type or a UN
count: the indicators here are tables of their own, beside the UN ones.

* :func:`linked_victims` counts the victims killed in connection with a femicide of the
  same event (Argentina's *femicidio vinculado*): her children, a person who tried to
  stop the killing, ...
* :func:`orphans` counts the children under 18 left by femicide victims, by femicide
  type; victims whose number of orphans is not known are counted apart, never as zero.

Both derive from a count cube of every victim (:func:`linked_victims_cube`,
:func:`orphans_cube`, made with :func:`femstat.counts`), which adds up to every other
table of the same microdata. To publish, protect the cube with the rest of the release
(:func:`femstat.protect`) and pass the protected cube to the indicator: a value that needs
a withheld cell is withheld too (``<NA>``)::

    release = fs.protect({"overall": fs.indicators(typed),
                          "orphans": orphans_cube(typed)}, min_count=5)
    fs.orphans(release["orphans"])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from femstat import codes as C
from femstat.ages import AgeScheme
from femstat.errors import FemstatError

__all__ = [
    "LINKED_STATUS",
    "ExtensionError",
    "linked_status",
    "linked_victims",
    "linked_victims_cube",
    "orphans",
    "orphans_cube",
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
        from femstat.validate import event_groups

        groups = event_groups(typed["event_id"])
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


def _is_cube(data: pd.DataFrame, key: str, type_column: str) -> bool:
    return {key, type_column, "count"} <= set(map(str, data.columns))


def _keys_before(cube: pd.DataFrame, key: str) -> list[str]:
    columns = [str(c) for c in cube.columns]
    return columns[: columns.index(key)]


def _sum_or_withheld(values: pd.Series) -> object:
    """The sum, or NA when a part is withheld: a sum over a hidden cell would reveal it."""
    return values.sum(skipna=False)


def linked_victims_cube(
    typed: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    type_column: str = "femicide_type",
) -> pd.DataFrame:
    """Count cube of every victim by ``by``, linked status, sex and age group.

    Parameters
    ----------
    typed : pandas.DataFrame
        Classified microdata (classified here when ``type_column`` is absent) with
        ``linked_victim``.
    by : str or sequence of str, optional
        Further breakdown columns (``year``, ``area``, ...), first in the cube.
    age_groups : scheme, default ``"unodc"``
    type_column : str, default ``"femicide_type"``

    Returns
    -------
    pandas.DataFrame
        A :func:`femstat.counts` cube with the keys ``by``, ``linked_status`` (see
        :data:`LINKED_STATUS`), ``victim_sex`` and ``age_group``: every victim is in it,
        so it can be protected with the other tables of a release.
    """
    import femstat as fs

    keys = _by(by)
    typed = _typed(typed, "linked_victim", type_column)
    frame = typed.assign(linked_status=linked_status(typed, type_column=type_column))
    return fs.counts(
        frame,
        [*keys, "linked_status", "victim_sex", "age_group"],
        type_column=type_column,
        age_groups=age_groups,
    )


def linked_victims(
    data: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    age_groups: str | AgeScheme | Sequence[int] = "unodc",
    type_column: str = "femicide_type",
) -> pd.DataFrame:
    """Victims killed in connection with a femicide, by sex and age group.

    Parameters
    ----------
    data : pandas.DataFrame
        Classified microdata with the extension variable ``linked_victim`` and the shared
        ``event_id`` (classified here when ``type_column`` is absent), or a cube from
        :func:`linked_victims_cube`, protected or not.
    by : str or sequence of str, optional
        Further breakdown columns (``year``, ``area``, ...); with a cube, its own keys.
    age_groups : scheme, default ``"unodc"``
        Age groups of the linked victims (:func:`femstat.age_group`).
    type_column : str, default ``"femicide_type"``

    Returns
    -------
    pandas.DataFrame
        One row per group of ``by`` x ``victim_sex`` x ``age_group``, every combination
        present (zeros explicit), and ``count``: the linked victims of events with a
        femicide (:func:`linked_status` ``linked_to_femicide``), whatever their own type
        (a linked man or boy is out of scope). ``<NA>`` where a protected cube withholds
        a cell it adds up. Linked victims whose event has no known femicide are not
        counted.

    Raises
    ------
    ExtensionError
        When microdata have no ``linked_victim`` column.
    """
    if _is_cube(data, "linked_status", type_column):
        cube = data
    else:
        cube = linked_victims_cube(data, by, age_groups=age_groups, type_column=type_column)
    keys = _keys_before(cube, "linked_status")
    rows = cube[cube["linked_status"].astype(str) == "linked_to_femicide"]
    columns = [*keys, "victim_sex", "age_group"]
    out = (
        rows.assign(count=rows["count"].astype("Int64"))
        .groupby(columns, observed=True, sort=False)["count"]
        .agg(_sum_or_withheld)
        .reset_index()
    )
    out["count"] = out["count"].astype("Int64")
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


def orphans_cube(
    typed: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    type_column: str = "femicide_type",
) -> pd.DataFrame:
    """Count cube of every victim by ``by`` and number of orphans (:func:`orphans_left`).

    Parameters
    ----------
    typed : pandas.DataFrame
        Classified microdata (classified here when ``type_column`` is absent) with
        ``orphans``.
    by : str or sequence of str, optional
    type_column : str, default ``"femicide_type"``

    Returns
    -------
    pandas.DataFrame
        A :func:`femstat.counts` cube with the keys ``by`` and ``orphans_left``, to be
        protected with the other tables of a release.
    """
    import femstat as fs

    keys = _by(by)
    typed = _typed(typed, "orphans", type_column)
    frame = typed.assign(orphans_left=orphans_left(typed))
    return fs.counts(frame, [*keys, "orphans_left"], type_column=type_column)


def orphans(
    data: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    type_column: str = "femicide_type",
) -> pd.DataFrame:
    """Children under 18 left by femicide victims, by femicide type.

    Parameters
    ----------
    data : pandas.DataFrame
        Classified microdata with the extension variable ``orphans`` (classified here
        when ``type_column`` is absent), or a cube from :func:`orphans_cube`, protected
        or not.
    by : str or sequence of str, optional
        Further breakdown columns (``year``, ``area``, ...); with a cube, its own keys.
    type_column : str, default ``"femicide_type"``

    Returns
    -------
    pandas.DataFrame
        One row per group of ``by`` and femicide type (each of
        :data:`femstat.codes.FEMICIDE`, then the total ``femicide``): ``victims``
        (femicide victims), ``victims_known`` (of whom the number of orphans is known),
        ``orphans`` (children left by those) and ``victims_unknown`` (victims whose
        number of orphans is not known: their children are not in ``orphans``, which is
        then a lower bound). Nullable integers: ``<NA>`` where a protected cube withholds
        a cell the value adds up (the children left add up only the cells of one or more
        orphans).

    Raises
    ------
    ExtensionError
        When microdata have no ``orphans`` column.
    """
    if _is_cube(data, "orphans_left", type_column):
        cube = data
    else:
        cube = orphans_cube(data, by, type_column=type_column)
    keys = _keys_before(cube, "orphans_left")
    kinds = list(C.FEMICIDE)
    cells = cube[cube[type_column].astype(str).isin(kinds)]
    level = cells["orphans_left"].astype(str)
    unknown = level == "unknown"
    number = pd.to_numeric(level.where(~unknown), errors="coerce").fillna(0).astype("int64")
    count = cells["count"].astype("Int64")
    # Where a cell adds nothing (unknown cells to the known, cells of no orphans to the
    # children), its value is replaced by 0 so that its withholding withholds nothing.
    measures = pd.DataFrame(
        {
            "victims": count,
            "victims_known": count.where(~unknown, 0),
            "orphans": (count * number).where(number > 0, 0),
            "victims_unknown": count.where(unknown, 0),
        }
    ).astype("Int64")
    names = list(measures.columns)
    frame = pd.concat([cells[keys], measures], axis=1)
    frame[type_column] = cells[type_column].astype(str)
    per_type = frame.groupby([*keys, type_column], sort=False)[names].agg(_sum_or_withheld)
    per_type = per_type.reset_index()
    if keys:
        total = frame.groupby(keys, sort=False)[names].agg(_sum_or_withheld).reset_index()
    else:
        total = frame[names].agg(_sum_or_withheld).to_frame().T
    total[type_column] = "femicide"
    out = pd.concat([per_type, total[per_type.columns]], ignore_index=True)
    order = [*kinds, "femicide"]
    out[type_column] = pd.Categorical(out[type_column], categories=order)
    out = out.sort_values([*keys, type_column], kind="stable").reset_index(drop=True)
    out = out[[*keys, type_column, *names]]
    out[names] = out[names].astype("Int64")
    out.attrs["femstat"] = {"table": "orphans"}
    return out

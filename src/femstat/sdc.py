"""The attacker's audit of a release of linked count tables, and secondary suppression.

Primary suppression (:func:`femstat.suppress`) hides small counts row by row. A release
also publishes sums: the typology totals of every group (``female_homicide`` is the five
in-scope types, ``femicide`` the partner, family and other-perpetrator types,
``partner_or_family`` the first two) and the margins of its breakdowns (a table by year
and area adds up to the table by year, to the table by area and to the overall row). A
hidden count can then be worked out by subtraction.

:func:`audit_disclosure` computes, for every hidden cell, the smallest and largest value
that the published cells and the tables' additive relations allow: the linear-programming
relaxation of the attacker's problem, as tau-Argus's audit and sdcTable's ``attack``.
:func:`protect` applies the threshold rule and then hides complementary (secondary) cells
until that audit finds no exposed cell.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from femstat import codes as C
from femstat.disclosure import DisclosureError, suppress, table_kind
from femstat.indicators import INDICATOR_ROWS
from femstat.schemas import is_sensitive

__all__ = ["audit_disclosure", "protect"]

_TYPE_COLUMN = "femicide_type"
_COMPARATOR = "male_partner_or_family"
# The rows a count table may hold: the types, their sums, the male comparator and (in a
# cube counted with it) its denominator.
_ROWS: tuple[str, ...] = (*INDICATOR_ROWS, "male_homicide")
# The typology sums published beside the types, as femstat computes them.
_SUMS: Mapping[str, tuple[str, ...]] = {
    "female_homicide": C.FEMICIDE_TYPES[:5],
    "femicide": C.FEMICIDE,
    "partner_or_family": C.FEMICIDE[:2],
}
_TOLERANCE = 1e-6

Cell = tuple[tuple[tuple[str, Hashable], ...], str]
"""A cell of the release: its group as sorted (key, value) pairs, and its type."""


def _scalar(value: Any) -> Hashable:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | str | bool | float):
        return value
    return str(value)


@dataclass
class _Table:
    name: str
    frame: pd.DataFrame
    keys: list[str]
    types: list[str]
    cells: list[Cell]  # one per row
    groups: dict[tuple[tuple[str, Hashable], ...], list[int]] = field(default_factory=dict)


@dataclass
class _Release:
    tables: list[_Table]
    index: dict[Cell, int]
    value: np.ndarray  # published value, NaN where hidden
    rows: list[tuple[int, list[int]]]  # relations: total = sum of parts
    fixed: list[tuple[int, float]]  # cells whose value other columns publish


def _as_mapping(tables: Any) -> dict[str, Any]:
    if isinstance(tables, pd.DataFrame):
        return {"table": tables}
    if isinstance(tables, Mapping):
        return {str(k): v for k, v in tables.items()}
    if isinstance(tables, Sequence) and not isinstance(tables, str | bytes):
        return {f"table_{i}": t for i, t in enumerate(tables)}
    raise DisclosureError(
        f"tables must be a mapping of names to tables or a sequence of tables, not "
        f"{type(tables).__name__}; pass e.g. {{'by_year': table}}"
    )


def _read(name: str, frame: Any) -> _Table:
    if not isinstance(frame, pd.DataFrame):
        raise DisclosureError(
            f"table {name!r} is a {type(frame).__name__}, not a DataFrame; pass the tables "
            "made by fs.indicators or fs.counts (suppressed or not)"
        )
    sensitive = [str(c) for c in frame.columns if is_sensitive(c)]
    if sensitive:
        raise DisclosureError(
            f"table {name!r} holds the identifying column(s) {sensitive} ({len(frame):,} "
            "rows); a published table must not: drop them, or count by coded variables"
        )
    kind = table_kind(frame)
    if kind not in ("indicators", "counts") or _TYPE_COLUMN not in frame.columns:
        raise DisclosureError(
            f"table {name!r} is a {kind} table without a {_TYPE_COLUMN!r} column; the audit "
            "reads count tables by femicide type: pass tables made by fs.indicators or "
            "fs.counts"
        )
    columns = [str(c) for c in frame.columns]
    keys = columns[: columns.index(_TYPE_COLUMN)]
    types = frame[_TYPE_COLUMN].astype("string").to_numpy(dtype=object)
    unknown = sorted({str(t) for t in types} - set(_ROWS))
    if unknown:
        raise DisclosureError(
            f"table {name!r}: column {_TYPE_COLUMN!r} holds {len(unknown)} value(s) that are "
            f"no femicide type or total: {unknown[:5]}; pass femstat's tables unchanged"
        )
    key_values = [frame[k].to_numpy(dtype=object) for k in keys]
    cells: list[Cell] = []
    groups: dict[tuple[tuple[str, Hashable], ...], list[int]] = {}
    for i in range(len(frame)):
        group = tuple(sorted((k, _scalar(v[i])) for k, v in zip(keys, key_values, strict=True)))
        cells.append((group, str(types[i])))
        groups.setdefault(group, []).append(i)
    if len(set(cells)) != len(cells):
        raise DisclosureError(
            f"table {name!r} has {len(cells) - len(set(cells))} repeated row(s) of the same "
            f"group and type; pass one row per group and {_TYPE_COLUMN}"
        )
    present = sorted({t for _, t in cells}, key=_ROWS.index)
    return _Table(name, frame, keys, present, cells, groups)


def _hierarchy(hierarchy: Any) -> tuple[str, str, dict[Hashable, Hashable]] | None:
    """(child column, parent column, child value -> parent value)."""
    if hierarchy is None:
        return None
    if isinstance(hierarchy, pd.DataFrame):
        if hierarchy.shape[1] != 2:
            raise DisclosureError(
                f"hierarchy has {hierarchy.shape[1]} columns; pass two: the lower level "
                "(e.g. 'area') then the level it belongs to (e.g. 'region')"
            )
        child, parent = (str(c) for c in hierarchy.columns)
        pairs = list(zip(hierarchy.iloc[:, 0].tolist(), hierarchy.iloc[:, 1].tolist(), strict=True))
    elif isinstance(hierarchy, Mapping):
        child, parent = "area", "region"
        pairs = list(hierarchy.items())
    else:
        raise DisclosureError(
            f"hierarchy must be a DataFrame (area, region) or a mapping area -> region, not "
            f"{type(hierarchy).__name__}"
        )
    mapping: dict[Hashable, Hashable] = {}
    clashes = 0
    for c, p in pairs:
        c, p = _scalar(c), _scalar(p)
        if c in mapping and mapping[c] != p:
            clashes += 1
        mapping[c] = p
    if clashes:
        raise DisclosureError(
            f"hierarchy puts {clashes} value(s) of {child!r} in two {parent!r} values; each "
            "must belong to one"
        )
    return child, parent, mapping


def _projection(
    fine: _Table, coarse: _Table, hierarchy: tuple[str, str, dict[Hashable, Hashable]] | None
) -> dict[str, str] | None:
    """How a group of ``fine`` gives the group of ``coarse`` it adds to, or None.

    Returns coarse key -> fine key it is read from.
    """
    if set(coarse.keys) == set(fine.keys):
        return None
    source: dict[str, str] = {}
    for key in coarse.keys:
        if key in fine.keys:
            source[key] = key
        elif hierarchy is not None and key == hierarchy[1] and hierarchy[0] in fine.keys:
            if hierarchy[1] in fine.keys:
                return None
            source[key] = hierarchy[0]
        else:
            return None
    return source


def _build(tables: dict[str, Any], hierarchy: Any) -> _Release:
    read = [_read(name, frame) for name, frame in tables.items()]
    tree = _hierarchy(hierarchy)
    index: dict[Cell, int] = {}
    values: list[float] = []
    for table in read:
        counts = pd.to_numeric(table.frame["count"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        for cell, v in zip(table.cells, counts, strict=True):
            j = index.setdefault(cell, len(values))
            if j == len(values):
                values.append(float(v))
            elif math.isnan(values[j]):
                values[j] = float(v)
            elif not math.isnan(v) and abs(values[j] - v) > _TOLERANCE:
                raise DisclosureError(
                    f"table {table.name!r} publishes a count of {cell[1]!r} that another "
                    "table publishes with a different value; the tables of one release must "
                    "come from the same microdata"
                )
    value = np.array(values, dtype=np.float64)
    # A published share denominator is the group's female_homicide count: known to the
    # reader even where that row's count is hidden.
    known: list[tuple[Cell, float]] = []
    for table in read:
        if "share_denominator" not in table.frame.columns:
            continue
        denominators = pd.to_numeric(table.frame["share_denominator"], errors="coerce")
        den = denominators.to_numpy(dtype=np.float64, na_value=np.nan)
        for (group, kind), d in zip(table.cells, den, strict=True):
            if not math.isnan(d):
                # The male comparator's share is over male homicide victims.
                total = "male_homicide" if kind == _COMPARATOR else "female_homicide"
                known.append(((group, total), float(d)))

    def var(cell: Cell) -> int:
        nonlocal value
        j = index.setdefault(cell, len(value))
        if j == len(value):
            value = np.append(value, np.nan)
        return j

    rows: list[tuple[int, list[int]]] = []
    groups = {(g, tuple(sorted(t.keys))) for t in read for g in t.groups}
    for group, _ in sorted(groups, key=repr):
        for total, parts in _SUMS.items():
            if (group, total) in index:
                rows.append((index[(group, total)], [var((group, p)) for p in parts]))
    for coarse in read:
        for fine in read:
            source = _projection(fine, coarse, tree)
            if source is None:
                continue
            # Male counts add up over groups too: their margins are relations as well.
            kinds = [t for t in coarse.types if t in fine.types]
            parts_of: dict[tuple[tuple[str, Hashable], ...], list[tuple[tuple[str, Hashable], ...]]]
            parts_of = {g: [] for g in coarse.groups}
            for group in fine.groups:
                values_of = dict(group)
                target: list[tuple[str, Hashable]] = []
                for key in coarse.keys:
                    v = values_of[source[key]]
                    if source[key] != key:
                        assert tree is not None
                        if v not in tree[2]:
                            raise DisclosureError(
                                f"table {fine.name!r}: a value of {source[key]!r} is not in "
                                f"the hierarchy; give every {source[key]!r} its {key!r}"
                            )
                        v = tree[2][v]
                    target.append((key, v))
                coarse_group = tuple(sorted(target))
                if coarse_group in parts_of:
                    parts_of[coarse_group].append(group)
            for coarse_group, fine_groups in parts_of.items():
                for kind in kinds:
                    rows.append((var((coarse_group, kind)), [var((g, kind)) for g in fine_groups]))
    fixed = sorted({(var(cell), d) for cell, d in known})
    return _Release(read, index, value, rows, fixed)


def _matrix(release: _Release) -> sparse.csr_matrix:
    data: list[float] = []
    row_ids: list[int] = []
    col_ids: list[int] = []
    for r, (total, parts) in enumerate(release.rows):
        row_ids.append(r)
        col_ids.append(total)
        data.append(1.0)
        for p in parts:
            row_ids.append(r)
            col_ids.append(p)
            data.append(-1.0)
    for r, (j, _) in enumerate(release.fixed, start=len(release.rows)):
        row_ids.append(r)
        col_ids.append(j)
        data.append(1.0)
    shape = (len(release.rows) + len(release.fixed), len(release.value))
    return sparse.csr_matrix((data, (row_ids, col_ids)), shape=shape)


def _intervals(
    release: _Release, cache: dict[tuple[bytes, ...], tuple[np.ndarray, np.ndarray]] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of every hidden variable (NaN for published ones)."""
    value = release.value
    n = len(value)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    hidden = np.flatnonzero(np.isnan(value))
    lower[hidden] = 0.0
    upper[hidden] = np.inf
    if not release.rows and not release.fixed:
        return lower, upper
    a = _matrix(release).tocsc()
    published = np.flatnonzero(~np.isnan(value))
    a_hidden = a[:, hidden].tocsr()
    rhs = -(a[:, published] @ value[published])
    rhs[len(release.rows) :] += [d for _, d in release.fixed]
    used = np.diff(a_hidden.indptr) > 0
    if np.any(np.abs(rhs[~used]) > _TOLERANCE):
        raise DisclosureError(
            f"{int(np.sum(np.abs(rhs[~used]) > _TOLERANCE))} published total(s) do not equal "
            "the sum of their published parts; the tables of one release must come from "
            "the same microdata and be complete"
        )
    a_hidden = a_hidden[used]
    rhs = rhs[used]
    m = a_hidden.shape[0]
    # Hidden cells linked through relations form independent blocks: solve each alone.
    graph = sparse.bmat([[None, a_hidden], [a_hidden.T, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    row_label = labels[:m]
    col_label = labels[m:]
    in_rows = np.zeros(len(hidden), dtype=bool)
    in_rows[np.unique(a_hidden.indices)] = True
    for label in np.unique(col_label[in_rows]):
        cols = np.flatnonzero(col_label == label)
        block_rows = np.flatnonzero(row_label == label)
        block = a_hidden[block_rows][:, cols]
        b = rhs[block_rows]
        # Protection re-audits after each round: blocks it did not touch are the same.
        key = (hidden[cols].tobytes(), block_rows.tobytes(), b.tobytes())
        if cache is not None and key in cache:
            lower[hidden[cols]], upper[hidden[cols]] = cache[key]
            continue
        low, high = _block_bounds(block, b)
        lower[hidden[cols]] = low
        upper[hidden[cols]] = high
        if cache is not None:
            cache[key] = (lower[hidden[cols]].copy(), upper[hidden[cols]].copy())
    return lower, upper


def _solve(objective: np.ndarray, block: sparse.csr_matrix, b: np.ndarray) -> Any:
    res = linprog(objective, A_eq=block, b_eq=b, bounds=(0, None), method="highs")
    if res.status == 2:
        raise DisclosureError(
            "the published cells admit no solution of the tables' relations; the tables of "
            "one release must come from the same microdata"
        )
    return res


def _block_bounds(block: sparse.csr_matrix, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact min and max of every variable of ``block @ x = b``, ``x >= 0``.

    Two linear programmes per variable at most; fewer, because every solution found is a
    feasible point: a variable seen at 0 has its minimum, and one seen at the bound that
    a relation with hidden parts of one sign sets has its maximum.
    """
    n = block.shape[1]
    # A relation whose hidden cells all have the same sign bounds each of them.
    bound = np.full(n, np.inf)
    csr = block.tocsr()
    for r in range(csr.shape[0]):
        start, stop = csr.indptr[r], csr.indptr[r + 1]
        coef = csr.data[start:stop]
        if np.all(coef > 0) or np.all(coef < 0):
            cols = csr.indices[start:stop]
            bound[cols] = np.minimum(bound[cols], b[r] / coef)
    seen_low = np.full(n, np.inf)
    seen_high = np.full(n, -np.inf)

    def see(x: np.ndarray | None) -> None:
        if x is not None:
            np.minimum(seen_low, x, out=seen_low)
            np.maximum(seen_high, x, out=seen_high)

    ones = np.ones(n)
    see(_solve(ones, block, b).x)
    res = _solve(-ones, block, b)
    if res.status == 0:
        see(res.x)
    low = np.zeros(n)
    high = np.full(n, np.inf)
    for k in range(n):
        c = np.zeros(n)
        c[k] = 1.0
        if seen_low[k] > 1e-9:
            res = _solve(c, block, b)
            see(res.x)
            low[k] = res.fun
        if seen_high[k] >= bound[k] - 1e-9:
            high[k] = bound[k]
            continue
        res = _solve(-c, block, b)
        if res.status == 3:
            high[k] = np.inf
        else:
            see(res.x)
            high[k] = -res.fun
    return low, high


def audit_disclosure(
    tables: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame],
    *,
    min_count: int = 5,
    protection: float | None = None,
    hierarchy: pd.DataFrame | Mapping[Any, Any] | None = None,
) -> pd.DataFrame:
    """How closely an attacker can work out every hidden count of a release.

    Parameters
    ----------
    tables : mapping of str to DataFrame, or sequence of DataFrame
        The count tables a release publishes, made from the same microdata: outputs of
        :func:`femstat.indicators` or :func:`femstat.counts`, suppressed
        (:func:`femstat.suppress`) or not. The breakdown of a table is its columns before
        ``femicide_type``; tables with the same breakdown share their cells.
    min_count : int, default 5
        The threshold of the release: counts from 1 to ``min_count - 1`` are sensitive.
    protection : float, optional
        A protection level: a hidden cell that may be sensitive must have an interval at
        least this wide (``upper - lower``). By default the interval must hold at least
        ``min_count`` whole numbers.
    hierarchy : DataFrame or mapping, optional
        Which higher level each area belongs to: a DataFrame of two columns (the lower
        level, e.g. ``area``, then its parent, e.g. ``region``) or a mapping
        area -> region. A table by region then adds up to the tables by area.

    Returns
    -------
    pandas.DataFrame
        One row per hidden cell of each table: ``table``, the breakdown keys (``<NA>``
        where the table has no such key), ``femicide_type``, ``lower`` and ``upper`` (the
        whole numbers an attacker can prove the count lies between; ``upper`` is ``inf``
        when nothing bounds it), ``n_values`` (whole numbers in the interval), ``small``
        (the interval meets the sensitive range 1 to ``min_count - 1``) and ``exposed``
        (small, and the interval narrower than the rule asks). ``attrs["audit"]`` holds
        ``passed``, ``n_hidden``, ``n_exposed``, ``min_count`` and ``protection``.

    Raises
    ------
    DisclosureError
        When a table is no count table by femicide type, or the tables contradict each
        other (not made from the same microdata).

    Notes
    -----
    One variable per distinct cell (group and type), shared by every table that holds
    it. The relations are the typology sums within each group (``female_homicide``,
    ``femicide``, ``partner_or_family``), the margins between tables whose breakdown is
    coarser (each cell of the coarser table is the sum of the cells of the finer one that
    extend it; the overall table has no keys) and, with ``hierarchy``, region = sum of its
    areas. A published ``share_denominator`` is the group's ``female_homicide`` count.
    Published cells are fixed, hidden cells are non-negative; for each hidden cell the
    smallest and largest value are two linear programmes (HiGHS, [3]_), solved block by
    block over the hidden cells linked by relations. This is the linear relaxation of the
    attacker's integer problem, the audit of tau-Argus [2]_ and ``attack`` of sdcTable
    [4]_: its interval contains the integer one, so a cell it finds protected may in rare
    cases be narrower for an integer attacker; the bounds are rounded inwards to whole
    numbers. The ``male_partner_or_family`` comparator (and ``male_homicide``, in a cube
    counted with it) is no sum of the other rows but adds up over groups: only its
    margins, and the share denominator of its row (male homicide victims), bound it.
    Shares and rates are not used beyond the share denominator: :func:`femstat.suppress`
    hides them with their count.

    A hidden cell proved to be 0 or at least ``min_count`` discloses no sensitive count,
    so it is not exposed however narrow its interval.

    References
    ----------
    .. [1] Hundepool, A. et al. (2012). Statistical Disclosure Control. Wiley, ch. 5.
    .. [2] de Wolf, P.-P. et al. tau-Argus user's manual. Statistics Netherlands.
    .. [3] Huangfu, Q. and Hall, J. A. J. (2018). Parallelizing the dual revised simplex
       method. Mathematical Programming Computation 10, 119-142.
    .. [4] Meindl, B. sdcTable: methods for statistical disclosure control in tabular
       data. R package.
    """
    _check_threshold(min_count, protection)
    release = _build(_as_mapping(tables), hierarchy)
    lower, upper = _intervals(release)
    return _report(release, lower, upper, int(min_count), protection)


def _judge(
    lower: float, upper: float, min_count: int, protection: float | None
) -> tuple[int, float, float, bool, bool]:
    """Whole-number interval, its number of values, whether small, whether exposed."""
    lo = math.ceil(lower - 1e-9)
    hi = math.floor(upper + 1e-9) if math.isfinite(upper) else math.inf
    n_values = hi - lo + 1 if math.isfinite(hi) else math.inf
    # An interval outside 1..min_count-1 proves the cell zero or not small: no disclosure.
    small = lo < min_count and hi >= 1
    narrow = (hi - lo < protection) if protection is not None else n_values < min_count
    return lo, float(hi), float(n_values), small, small and narrow


def _report(
    release: _Release,
    lower: np.ndarray,
    upper: np.ndarray,
    min_count: int,
    protection: float | None,
) -> pd.DataFrame:
    all_keys: list[str] = []
    for table in release.tables:
        all_keys += [k for k in table.keys if k not in all_keys]
    records: list[dict[str, Any]] = []
    for table in release.tables:
        for group, kind in table.cells:
            j = release.index[(group, kind)]
            if not math.isnan(release.value[j]):
                continue
            lo, hi, n_values, small, exposed = _judge(lower[j], upper[j], min_count, protection)
            record: dict[str, Any] = {"table": table.name, **dict.fromkeys(all_keys)}
            record.update(dict(group))
            record.update(
                {
                    _TYPE_COLUMN: kind,
                    "lower": lo,
                    "upper": float(hi),
                    "n_values": float(n_values),
                    "small": small,
                    "exposed": exposed,
                }
            )
            records.append(record)
    columns = ["table", *all_keys, _TYPE_COLUMN, "lower", "upper", "n_values", "small", "exposed"]
    out = pd.DataFrame.from_records(records, columns=columns)
    for key in all_keys:
        # From records the keys would be floats or objects: give them their own type.
        out[key] = out[key].convert_dtypes()
    out["lower"] = out["lower"].astype("int64")
    for column in ("upper", "n_values"):
        out[column] = out[column].astype("float64")
    for column in ("small", "exposed"):
        out[column] = out[column].astype(bool)
    n_exposed = int(out["exposed"].sum())
    out.attrs["audit"] = {
        "passed": n_exposed == 0,
        "n_hidden": len(out),
        "n_exposed": n_exposed,
        "min_count": min_count,
        "protection": protection,
    }
    return out


def _check_threshold(min_count: Any, protection: Any) -> None:
    if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer):
        raise DisclosureError(
            f"min_count must be a whole number, not {type(min_count).__name__}; pass e.g. 5"
        )
    if min_count < 1:
        raise DisclosureError(f"min_count must be at least 1, not {min_count}; pass e.g. 5")
    if protection is not None and (
        isinstance(protection, bool)
        or not isinstance(protection, int | float | np.integer | np.floating)
        or not math.isfinite(protection)
        or protection < 0
    ):
        raise DisclosureError(
            f"protection must be a non-negative number, not {protection!r}; pass e.g. 3"
        )


def _hide(table: _Table, cells: set[Cell], min_count: int) -> pd.DataFrame:
    """The table with ``cells`` hidden, and every value that would reveal them."""
    frame = table.frame.copy()
    rows = np.array([cell in cells for cell in table.cells], dtype=bool)
    if not rows.any():
        return frame
    frame["count"] = frame["count"].astype("Int64").mask(rows)
    if "share_denominator" in frame.columns:
        # The denominator of every share of a group is its female_homicide count; the
        # shares of published counts would give it back too.
        over = np.array(
            [
                (g, "male_homicide" if kind == _COMPARATOR else "female_homicide") in cells
                for g, kind in table.cells
            ],
            dtype=bool,
        )
        if over.any():
            frame["share_denominator"] = frame["share_denominator"].mask(over)
            for column in frame.columns:
                if str(column).startswith("share") and str(column) != "share_denominator":
                    frame[column] = frame[column].mask(over)
    # A row hidden here is marked, so that suppress hides all it derives from the count.
    frame["suppressed"] = frame["suppressed"].to_numpy(dtype=bool) | rows
    return suppress(frame, min_count)


def protect(
    tables: Mapping[str, pd.DataFrame] | Sequence[pd.DataFrame],
    *,
    min_count: int = 5,
    protection: float | None = None,
    hierarchy: pd.DataFrame | Mapping[Any, Any] | None = None,
    max_rounds: int = 100,
) -> dict[str, pd.DataFrame]:
    """Suppress small counts in linked tables and the complements that protect them.

    Parameters
    ----------
    tables : mapping of str to DataFrame, or sequence of DataFrame
        The count tables of one release, as for :func:`audit_disclosure`: made by
        :func:`femstat.indicators` or :func:`femstat.counts` from the same microdata,
        suppressed or not.
    min_count : int, default 5
        Counts from 1 to ``min_count - 1`` are suppressed (primary suppression by
        :func:`femstat.suppress`), and no hidden cell may be narrowed by an attacker to
        fewer than ``min_count`` whole numbers.
    protection : float, optional
        A protection level instead: every hidden cell that may be small keeps an
        interval at least this wide.
    hierarchy : DataFrame or mapping, optional
        Area -> region, as for :func:`audit_disclosure`.
    max_rounds : int, default 100
        Rounds of secondary suppression before giving up.

    Returns
    -------
    dict of str to DataFrame
        The protected tables under the same names (``table_0``, ... for a sequence),
        each with a ``suppression`` column: ``"primary"`` (a small count),
        ``"secondary"`` (hidden to protect another) or ``""`` (published).
        ``attrs["protection"]`` of each table holds ``audit`` (the summary of
        :func:`audit_disclosure` on the result), ``n_secondary`` and ``secondary_total``
        (number of distinct secondary cells and the sum of their counts: the information
        lost beyond primary suppression) and ``rounds``.

    Raises
    ------
    DisclosureError
        As :func:`audit_disclosure`; or when the tables cannot be protected in
        ``max_rounds`` rounds.

    Notes
    -----
    A greedy heuristic in the spirit of the hypercube method of tau-Argus [1]_: while
    the audit finds exposed cells, each exposed cell takes, among the relations it
    belongs to (a typology sum or a margin) with the fewest hidden cells, the published
    non-zero cell of the smallest count (ties: the first in table and row order) and
    hides it in every table that holds it, with what derives from it (shares over a
    hidden ``female_homicide`` too). Zeros are never chosen: hiding one protects little
    and a published zero reveals no victim. Deterministic and idempotent: protecting a
    protected release changes nothing. Not optimal: an integer programme could hide less.

    References
    ----------
    .. [1] Hundepool, A. et al. (2012). Statistical Disclosure Control. Wiley, ch. 5.
    """
    _check_threshold(min_count, protection)
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
        raise DisclosureError(f"max_rounds must be a whole number from 1, not {max_rounds!r}")
    named = _as_mapping(tables)
    before: set[Cell] = set()  # secondary cells of a release protected before
    for name, frame in named.items():
        table = _read(name, frame)
        if "suppression" in frame.columns:
            marks = frame["suppression"].astype("string").fillna("").to_numpy(dtype=object)
            before |= {c for c, m in zip(table.cells, marks, strict=True) if m == "secondary"}
    current = {
        name: suppress(frame.drop(columns=["suppression"], errors="ignore"), min_count)
        for name, frame in named.items()
    }
    primary = set()
    for name, frame in current.items():
        table = _read(name, frame)
        hidden_rows = frame["count"].isna().to_numpy(dtype=bool)
        primary |= {c for c, h in zip(table.cells, hidden_rows, strict=True) if h}
    primary -= before
    secondary = set(before)
    rounds = 0
    cache: dict[tuple[bytes, ...], tuple[np.ndarray, np.ndarray]] = {}
    while True:
        release = _build(current, hierarchy)
        lower, upper = _intervals(release, cache)
        in_tables = {release.index[c] for t in release.tables for c in t.cells}
        exposed = [
            int(j)
            for j in np.flatnonzero(np.isnan(release.value))
            if int(j) in in_tables and _judge(lower[j], upper[j], int(min_count), protection)[4]
        ]
        if not exposed:
            break
        if rounds == max_rounds:
            raise DisclosureError(
                f"{len(exposed)} hidden cell(s) can still be narrowed after {max_rounds} "
                "rounds of secondary suppression; pass a larger max_rounds, or publish "
                "fewer linked tables"
            )
        rounds += 1
        chosen = _complements(release, exposed)
        cells = {cell for cell, j in release.index.items() if j in chosen}
        secondary |= cells
        current = {
            name: _hide(_read(name, frame), cells, int(min_count))
            for name, frame in current.items()
        }
    audit = _report(release, lower, upper, int(min_count), protection).attrs["audit"]
    values = {
        cell: float(v)
        for name, frame in named.items()
        for cell, v in zip(
            _read(name, frame).cells,
            pd.to_numeric(frame["count"], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            ),
            strict=True,
        )
    }
    # Cells made secondary by an earlier protection are hidden in the input: their total
    # comes from its record.
    earlier = 0.0
    for frame in named.values():
        record = frame.attrs.get("protection")
        if isinstance(record, Mapping):
            earlier = max(earlier, float(record.get("secondary_total", 0.0)))
    lost = [values.get(c, math.nan) for c in secondary - before]
    summary = {
        "audit": audit,
        "n_secondary": len(secondary),
        "secondary_total": earlier + (float(np.nansum(lost)) if lost else 0.0),
        "rounds": rounds,
    }
    out: dict[str, pd.DataFrame] = {}
    for name, frame in current.items():
        table = _read(name, frame)
        hidden_rows = frame["count"].isna().to_numpy(dtype=bool)
        reason = [
            ("secondary" if c in secondary else "primary") if h else ""
            for c, h in zip(table.cells, hidden_rows, strict=True)
        ]
        result = frame.copy()
        result["suppression"] = pd.array(reason, dtype="string")
        result.attrs = {**frame.attrs, "protection": summary}
        out[name] = result
    return out


def _complements(release: _Release, exposed: list[int]) -> set[int]:
    """For each exposed cell, the cheapest published non-zero cell of its most open relations."""
    members: list[list[int]] = [[total, *parts] for total, parts in release.rows]
    of_var: dict[int, list[int]] = {}
    for r, cells in enumerate(members):
        for j in cells:
            of_var.setdefault(j, []).append(r)
    value = release.value
    chosen: set[int] = set()
    for j in exposed:
        reach = {j}
        relations = sorted(of_var.get(j, []))
        if any(k in chosen for r in relations for k in members[r]):
            continue  # a complement chosen this round already enters its relations
        for _ in range(3):  # widen to the relations of linked hidden cells if need be
            # The relations with fewest hidden cells are the ones that give it away.
            open_ = [
                (sum(math.isnan(value[k]) for k in members[r]), r)
                for r in sorted({r for v in reach for r in of_var.get(v, [])})
                if any(not math.isnan(value[k]) and value[k] > 0 for k in members[r])
            ]
            fewest = min((n for n, _ in open_), default=0)
            candidates = {
                k
                for n, r in open_
                if n == fewest
                for k in members[r]
                if not math.isnan(value[k]) and value[k] > 0
            }
            if candidates:
                chosen.add(min(candidates, key=lambda k: (value[k], k)))
                break
            reach |= {
                k
                for v in reach
                for r in of_var.get(v, [])
                for k in members[r]
                if math.isnan(value[k])
            }
        else:
            raise DisclosureError(
                "a hidden cell can be worked out but no published cell of its relations "
                "can protect it; publish fewer linked tables"
            )
    return chosen

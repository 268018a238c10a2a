"""The attacker's audit of a release of linked count tables, and secondary suppression.

Primary suppression (:func:`femstat.suppress`) hides small counts row by row. A release
also publishes sums: the typology totals of every group (``female_homicide`` is the
in-scope types, ``femicide`` the partner, family, partner-or-family-unspecified and
other-perpetrator types, ``partner_or_family`` the three partner-or-family types) and the
margins of its breakdowns (a table by year
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
import os
import sys
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
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
    "female_homicide": C.IN_SCOPE_TYPES,
    "femicide": C.FEMICIDE,
    "partner_or_family": C.PARTNER_OR_FAMILY,
}
_TOLERANCE = 1e-6
# HiGHS's feasibility tolerance is 1e-7: a bound of 2 may come back as 1.9999999.
_ROUNDING = 1e-6
# Steps of feasible points tried before one programme per cell, and the least they must
# settle to go on.
_SPREAD_STEPS = 20
_SPREAD_MIN = 5

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


def _pairs(key: str, values: np.ndarray) -> list[tuple[str, Hashable]]:
    """``(key, value)`` of every row, each distinct value converted once."""
    seen: dict[tuple[type, Any], tuple[str, Hashable]] = {}
    out: list[tuple[str, Hashable]] = []
    for v in values:
        try:
            # The type is in the key: True and 1 are equal in a dict, not in a table.
            out.append(seen[(type(v), v)])
        except KeyError:
            out.append(seen.setdefault((type(v), v), (key, _scalar(v))))
        except TypeError:  # unhashable
            out.append((key, _scalar(v)))
    return out


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
    # A group is its (key, value) pairs sorted by key; each distinct value is read once.
    pairs = [_pairs(k, frame[k].to_numpy(dtype=object)) for k in sorted(keys)]
    rows = list(zip(*pairs, strict=True)) if pairs else [()] * len(frame)
    cells: list[Cell] = []
    groups: dict[tuple[tuple[str, Hashable], ...], list[int]] = {}
    for i, group in enumerate(rows):
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


def _blocks(
    release: _Release,
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, sparse.csr_matrix, np.ndarray]]]:
    """The hidden variables, and the independent blocks of the attacker's system.

    Each block is (positions among the hidden variables, its relations, ``A x = b`` over
    them): hidden cells linked by relations through other hidden cells. A hidden cell in
    no relation with another hidden cell is in no block: nothing bounds it from above.
    """
    value = release.value
    hidden = np.flatnonzero(np.isnan(value))
    if not release.rows and not release.fixed:
        return hidden, []
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
    graph = sparse.bmat([[None, a_hidden], [a_hidden.T, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    row_label = labels[:m]
    col_label = labels[m:]
    in_rows = np.zeros(len(hidden), dtype=bool)
    in_rows[np.unique(a_hidden.indices)] = True
    blocks = []
    for label in np.unique(col_label[in_rows]):
        cols = np.flatnonzero(col_label == label)
        block_rows = np.flatnonzero(row_label == label)
        blocks.append((cols, block_rows, a_hidden[block_rows][:, cols], rhs[block_rows]))
    return hidden, blocks


def _intervals(
    release: _Release,
    cache: dict[tuple[bytes, ...], tuple[np.ndarray, np.ndarray]] | None = None,
    wanted: np.ndarray | None = None,
    need: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of the hidden variables (NaN for published ones).

    With ``wanted`` (a mask over all variables), only those are computed (NaN for the
    others) and blocks without one are not solved. With ``need``, a variable that
    feasible points already show to span ``need`` whole numbers apart gets those points
    (an interval inside the true one) instead of its exact bounds.
    """
    n = len(release.value)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    hidden, blocks = _blocks(release)
    lower[hidden] = 0.0
    upper[hidden] = np.inf
    if wanted is not None:
        lower[~wanted] = np.nan
        upper[~wanted] = np.nan
    for cols, block_rows, block, b in blocks:
        targets = np.arange(len(cols)) if wanted is None else np.flatnonzero(wanted[hidden[cols]])
        if len(targets) == 0:
            continue
        # Protection re-audits after each round: blocks it did not touch are the same.
        key = (
            hidden[cols].tobytes(),
            block_rows.tobytes(),
            b.tobytes(),
            targets.tobytes(),
            repr(need).encode(),
        )
        if cache is not None and key in cache:
            low, high = cache[key]
        else:
            low, high = _block_bounds(block, b, targets, need)
            if cache is not None:
                cache[key] = (low, high)
        lower[hidden[cols[targets]]] = low[targets]
        upper[hidden[cols[targets]]] = high[targets]
    return lower, upper


def _new_highs() -> highspy.Highs:
    """A silent HiGHS solver.

    HiGHS writes a banner to the process's standard output when a solver is made, before
    any option can turn it off; femstat's printed tables and JSON must stay clean, so
    that one moment's output is sent to the null device.
    """
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no standard output to guard
        solver = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                solver = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    solver.setOptionValue("output_flag", False)
    return solver


class _LP:
    """``min c x`` over ``row_lo <= A x <= row_hi``, ``lower <= x <= upper``, built once.

    Successive solves change only the costs and bounds: HiGHS's primal simplex starts
    from the last optimal basis, which stays feasible when only the objective changes, so
    a new objective usually takes a few pivots instead of a solve from scratch.
    """

    def __init__(
        self,
        a: sparse.spmatrix,
        row_lo: np.ndarray,
        row_hi: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> None:
        csc = sparse.csc_matrix(a)
        csc.sort_indices()
        self.n = csc.shape[1]
        lp = highspy.HighsLp()
        lp.num_col_ = self.n
        lp.num_row_ = csc.shape[0]
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_ = np.asarray(lower, dtype=np.float64)
        lp.col_upper_ = np.where(np.isinf(upper), highspy.kHighsInf, upper).astype(np.float64)
        lp.row_lower_ = np.asarray(row_lo, dtype=np.float64)
        lp.row_upper_ = np.asarray(row_hi, dtype=np.float64)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(np.float64)
        self.solver = _new_highs()
        self.solver.setOptionValue("presolve", "off")
        self.solver.setOptionValue("simplex_strategy", 4)  # primal simplex
        self.solver.passModel(lp)
        self.feasible = False

    def cost(self, cols: np.ndarray, values: np.ndarray) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        values = np.broadcast_to(np.asarray(values, dtype=np.float64), cols.shape)
        self.solver.changeColsCost(len(cols), cols, np.ascontiguousarray(values))

    def bounds(self, col: int, lower: float, upper: float) -> None:
        self.solver.changeColBounds(int(col), float(lower), min(float(upper), highspy.kHighsInf))

    def bounds_many(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        high = np.where(np.isinf(upper), highspy.kHighsInf, upper).astype(np.float64)
        self.solver.changeColsBounds(len(cols), cols, np.asarray(lower, dtype=np.float64), high)

    def solve(self) -> tuple[np.ndarray | None, float]:
        """The optimal point and value; (None, -inf) when the objective is unbounded.

        Returns (None, nan) when the model is infeasible.
        """
        status = self._run()
        if status not in _SOLVED:
            # A warm start gone wrong numerically: solve once more from scratch.
            self.solver.clearSolver()
            status = self._run()
        if status == highspy.HighsModelStatus.kOptimal:
            self.feasible = True
            x = np.asarray(self.solver.getSolution().col_value, dtype=np.float64)
            return x, float(self.solver.getInfo().objective_function_value)
        if status == highspy.HighsModelStatus.kUnbounded or (
            status == highspy.HighsModelStatus.kUnboundedOrInfeasible and self.feasible
        ):
            return None, -math.inf
        if status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            return None, math.nan
        raise DisclosureError(
            f"the linear programme of the audit could not be solved (HiGHS: {status}); "
            "please report this with the sizes of the tables"
        )

    def _run(self) -> Any:
        self.solver.run()
        return self.solver.getModelStatus()


_SOLVED = (
    highspy.HighsModelStatus.kOptimal,
    highspy.HighsModelStatus.kUnbounded,
    highspy.HighsModelStatus.kInfeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,
)

_INCONSISTENT = (
    "the published cells admit no solution of the tables' relations; the tables of "
    "one release must come from the same microdata"
)


def _block_bounds(
    block: sparse.csr_matrix,
    b: np.ndarray,
    targets: np.ndarray | None = None,
    need: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact min and max of the variables ``targets`` (all by default) of ``block @ x = b``.

    Over ``x >= 0``. Two linear programmes per variable at most, on one HiGHS model whose
    objective alone changes; fewer, because every solution found is a feasible point: a
    variable seen at 0 has its minimum, and one seen at the bound that a relation with
    hidden parts of one sign sets has its maximum. With ``need``, a variable whose
    feasible points lie at least ``need`` apart in whole numbers is settled by them: its
    low and high are those points, inside its interval. Other variables are NaN.
    """
    n = block.shape[1]
    targets = np.arange(n) if targets is None else np.asarray(targets)
    # A relation whose hidden cells all have the same sign bounds each of them.
    bound = np.full(n, np.inf)
    csr = sparse.csr_matrix(block)
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

    def spans(lo: float, hi: float) -> bool:
        return need is not None and _whole(hi, up=False) - _whole(lo, up=True) >= need

    lp = _LP(csr, b, b, np.zeros(n), np.full(n, np.inf))
    everything = np.arange(n)
    lp.cost(everything, np.ones(n))
    x, _ = lp.solve()
    if x is None:
        raise DisclosureError(_INCONSISTENT)
    see(x)
    lp.cost(everything, -np.ones(n))
    see(lp.solve()[0])
    lp.cost(everything, np.zeros(n))
    if need is not None:
        _spread(lp, targets, seen_low, seen_high, need, see, x)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    for k in targets:
        if spans(seen_low[k], seen_high[k]):
            low[k], high[k] = seen_low[k], seen_high[k]
            continue
        if seen_high[k] >= bound[k] - 1e-9:
            high[k] = bound[k]
        else:
            lp.cost(np.array([k]), np.array([-1.0]))
            x, value = lp.solve()
            lp.cost(np.array([k]), np.array([0.0]))
            see(x)
            high[k] = -value
        if spans(seen_low[k], high[k]):
            low[k] = seen_low[k]
            continue
        if seen_low[k] <= 1e-9:
            low[k] = 0.0
        else:
            lp.cost(np.array([k]), np.array([1.0]))
            x, value = lp.solve()
            lp.cost(np.array([k]), np.array([0.0]))
            see(x)
            low[k] = value
    return low, high


def _spread(
    lp: _LP,
    targets: np.ndarray,
    seen_low: np.ndarray,
    seen_high: np.ndarray,
    need: float,
    see: Any,
    last: np.ndarray,
) -> None:
    """Feasible points that settle many targets at once, before one programme per cell.

    Each step moves every target not yet settled away from where the last point had
    it: up if it was nearer the lowest value seen, down otherwise (from a single point,
    up if below ``need``). Raising is capped at the value that would settle the cell
    (lowest seen plus ``need`` and one), which keeps the programme bounded and spends
    nothing on moving a cell further than the rule asks. The sum of the hidden cells is
    often fixed by a published total: moving them in opposite directions is what makes
    the points differ. Stops when a step settles few cells.
    """

    def unsettled() -> np.ndarray:
        lo = np.ceil(seen_low[targets] - _ROUNDING)
        hi = np.floor(np.minimum(seen_high[targets], 1e15) + _ROUNDING)
        return np.asarray(targets[hi - lo < need])

    open_ = unsettled()
    for _ in range(_SPREAD_STEPS):
        if len(open_) < _SPREAD_MIN:
            return
        below = last[open_] - seen_low[open_]
        above = seen_high[open_] - last[open_]
        up = np.where(np.abs(below - above) < 1e-9, last[open_] < need, below < above)
        cap = np.ceil(seen_low[open_] - _ROUNDING) + need + 1.0
        lp.bounds_many(open_, np.zeros(len(open_)), np.where(up, cap, np.inf))
        lp.cost(open_, np.where(up, -1.0, 1.0))
        x, _ = lp.solve()
        lp.cost(open_, np.zeros(len(open_)))
        lp.bounds_many(open_, np.zeros(len(open_)), np.full(len(open_), np.inf))
        if x is None:
            return
        see(x)
        last = x
        still = unsettled()
        if len(open_) - len(still) < _SPREAD_MIN:
            return
        open_ = still


def _whole(value: float, *, up: bool) -> float:
    """``value`` rounded inwards to a whole number, within the solver's tolerance."""
    if not math.isfinite(value):
        return value
    return float(math.ceil(value - _ROUNDING) if up else math.floor(value + _ROUNDING))


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
    block over the hidden cells linked by relations, on one model per block whose objective
    alone changes (the simplex restarts from the last basis). This is the linear relaxation
    of the attacker's integer problem, the audit of tau-Argus [2]_ and ``attack`` of
    sdcTable [4]_: its interval contains the integer one, so a cell it finds protected may
    in rare cases be narrower for an integer attacker; the bounds are rounded inwards to
    whole numbers. The ``male_partner_or_family`` comparator (and ``male_homicide``, in a
    cube counted with it) is no sum of the other rows but adds up over groups: only its
    margins, and the share denominator of its row (male homicide victims), bound it. Shares
    and rates are not used beyond the share denominator: :func:`femstat.suppress` hides them
    with their count.

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


def _need(min_count: int, protection: float | None) -> float:
    """How far apart, in whole numbers, the bounds of a hidden small cell must be."""
    return float(protection) if protection is not None else float(min_count - 1)


def _judge(
    lower: float, upper: float, min_count: int, protection: float | None
) -> tuple[int, float, float, bool, bool]:
    """Whole-number interval, its number of values, whether small, whether exposed."""
    lo = int(_whole(lower, up=True))
    hi = _whole(upper, up=False)
    n_values = hi - lo + 1
    # An interval outside 1..min_count-1 proves the cell zero or not small: no disclosure.
    small = lo < min_count and hi >= 1
    narrow = hi - lo < _need(min_count, protection)
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
    out.attrs["audit"] = _summary(release, int(out["exposed"].sum()), min_count, protection)
    return out


def _summary(
    release: _Release, n_exposed: int, min_count: int, protection: float | None
) -> dict[str, Any]:
    """``attrs["audit"]``: ``n_hidden`` counts the hidden rows of every table."""
    n_hidden = sum(
        math.isnan(release.value[release.index[cell]])
        for table in release.tables
        for cell in table.cells
    )
    return {
        "passed": n_exposed == 0,
        "n_hidden": int(n_hidden),
        "n_exposed": n_exposed,
        "min_count": min_count,
        "protection": protection,
    }


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
    max_rounds: int = 20,
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
    max_rounds : int, default 20
        Rounds of secondary suppression before giving up. A round protects every cell
        it finds exposed; a further round is needed only when a complement it hid can
        itself be narrowed, so releases take one or two rounds.

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
    Each round audits the hidden cells, then protects every exposed cell at once.

    *Complements.* For an exposed cell ``k`` with lower bound ``l``, one linear
    programme finds the cheapest change ``y`` of the true table that keeps every
    relation (typology sums, margins, hierarchy, share denominators), keeps every count
    non-negative and every published zero, and raises ``k`` to ``l + w`` (``w`` =
    ``min_count - 1``, or ``protection`` rounded up); the cost is the sum over published
    cells of ``count * |y|``, cells hidden already or chosen earlier in the round being
    free. The published cells it changes are hidden, in every table that holds them,
    with what derives from them (shares over a hidden ``female_homicide`` too). Once
    they are hidden the changed table is one the attacker cannot rule out, so the cell's
    interval spans ``w`` whole numbers: the exposed cells of a round are all protected,
    and only a complement that is itself narrow and may be small calls for another
    round. This is the per-cell subproblem of the cell suppression models of Fischetti
    and Salazar-Gonzalez [2]_ solved as a linear programme, with the count as the cost
    of a cell (information loss is the number and the total of the hidden counts). The
    cost favours cells with enough to give: a 5 can give 4, a 1 cannot, so the rule of
    the smallest count is not followed where it would not protect. Zeros are never
    hidden: a published zero reveals no victim.

    *Audit in rounds.* Hiding a cell only turns a fixed value of the attacker's system
    into a free one, so intervals only widen: a cell whose interval already holds enough
    whole numbers stays protected and is not solved again. Within a block, feasible
    points that move the open cells apart settle most cells before any
    per-cell programme; a cell they do not settle gets its exact bounds, since whether
    it may be small depends on them. ``attrs["protection"]["audit"]`` is therefore the
    summary of :func:`audit_disclosure` on the result without solving every bound again.

    Deterministic (cells are treated in table and row order) and idempotent: protecting
    a protected release changes nothing. Not optimal: a complement set is chosen per
    cell, not for all cells jointly as an integer programme would.

    References
    ----------
    .. [1] Hundepool, A. et al. (2012). Statistical Disclosure Control. Wiley, ch. 5.
    .. [2] Fischetti, M. and Salazar-Gonzalez, J.-J. (2001). Solving the cell
       suppression problem on tabular data with linear constraints. Management Science
       47(7), 1008-1027.
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
    truth = {
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
    need = _need(int(min_count), protection)
    # Cells whose interval an attacker cannot narrow below the rule: hiding more cells
    # only frees values the attacker had, so their intervals only widen and they stay so.
    wide: set[Cell] = set()
    rounds = 0
    cache: dict[tuple[bytes, ...], tuple[np.ndarray, np.ndarray]] = {}
    while True:
        release = _build(current, hierarchy)
        cell_of = _cells_by_variable(release)
        in_tables = np.zeros(len(release.value), dtype=bool)
        in_tables[[release.index[c] for t in release.tables for c in t.cells]] = True
        wanted = np.isnan(release.value) & in_tables
        wanted &= np.array([c not in wide for c in cell_of], dtype=bool)
        lower, upper = _intervals(release, cache, wanted, need)
        exposed = []
        for j in np.flatnonzero(wanted):
            lo, hi, _, _, is_exposed = _judge(lower[j], upper[j], int(min_count), protection)
            if hi - lo >= need:
                wide.add(cell_of[j])
            if is_exposed:
                exposed.append(int(j))
        if not exposed:
            break
        if rounds == max_rounds:
            raise DisclosureError(
                f"{len(exposed)} hidden cell(s) can still be narrowed after {max_rounds} "
                "rounds of secondary suppression; pass a larger max_rounds, or publish "
                "fewer linked tables"
            )
        rounds += 1
        x = _feasible_point(release, np.array([truth.get(c, math.nan) for c in cell_of]))
        chosen = _complements(release, exposed, lower, x, need)
        cells = {cell_of[j] for j in chosen}
        secondary |= cells
        current = {
            name: _hide(_read(name, frame), cells, int(min_count))
            for name, frame in current.items()
        }
    # Every hidden cell was judged exactly in the last round or found wide before.
    audit = _summary(release, 0, int(min_count), protection)
    values = truth
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


def _cells_by_variable(release: _Release) -> list[Cell]:
    cells: list[Cell] = [((), "")] * len(release.value)
    for cell, j in release.index.items():
        cells[j] = cell
    return cells


def _feasible_point(release: _Release, truth: np.ndarray) -> np.ndarray:
    """A table the attacker cannot rule out: published values, true ones where known.

    ``truth`` holds the true count of each variable where the input tables gave it (NaN
    elsewhere: cells of no table, or hidden in the input); the unknown ones are completed
    by a linear programme, so that every relation holds.
    """
    x = release.value.copy()
    for j, d in release.fixed:
        if math.isnan(x[j]):
            x[j] = d
    free = np.isnan(x)
    known = free & ~np.isnan(truth)
    x[known] = truth[known]
    a = sparse.csc_matrix(_matrix(release))
    for attempt in (x, np.where(known, np.nan, x)):
        unknown = np.flatnonzero(np.isnan(attempt))
        if len(unknown) == 0:
            return attempt
        rhs = np.zeros(a.shape[0])
        rhs[len(release.rows) :] = [d for _, d in release.fixed]
        rest = np.flatnonzero(~np.isnan(attempt))
        rhs -= a[:, rest] @ attempt[rest]
        lp = _LP(a[:, unknown], rhs, rhs, np.zeros(len(unknown)), np.full(len(unknown), np.inf))
        lp.cost(np.arange(len(unknown)), np.ones(len(unknown)))
        point, _ = lp.solve()
        if point is not None:
            out = attempt.copy()
            out[unknown] = np.maximum(point, 0.0)
            return out
    raise DisclosureError(_INCONSISTENT)


def _complements(
    release: _Release, exposed: list[int], lower: np.ndarray, x: np.ndarray, need: float
) -> set[int]:
    """Published cells to hide so that every exposed cell spans ``need`` whole numbers.

    For each exposed cell ``k`` (in variable order), one linear programme finds the
    cheapest change ``y`` of the table ``x`` that keeps every relation, every count
    non-negative and every published zero, and raises ``k`` to ``ceil(lower[k]) + need``:
    minimise the sum over published cells of ``count * |y|``; cells hidden already, or
    chosen for an earlier exposed cell, change for free. The published cells that
    change are the complements: once they are hidden, ``x + y`` is a table the attacker
    cannot rule out, so the upper bound of ``k`` reaches the target and its interval
    spans ``need`` (hiding more cells only widens it).
    """
    relations = _matrix(release)[: len(release.rows)].tocsr()
    published = ~np.isnan(release.value)
    shown = release.value.copy()
    for j, d in release.fixed:
        if not published[j]:
            published[j] = True
            shown[j] = d
    n_rel = relations.shape[0]
    graph = sparse.bmat([[None, relations], [relations.T, None]]).tocsr()
    _, labels = connected_components(graph, directed=False)
    row_label, var_label = labels[:n_rel], labels[n_rel:]
    chosen: set[int] = set()
    by_block: dict[int, list[int]] = {}
    for k in exposed:
        by_block.setdefault(int(var_label[k]), []).append(k)
    for label, cells in sorted(by_block.items(), key=lambda item: item[1][0]):
        cols = np.flatnonzero(var_label == label)
        rows = np.flatnonzero(row_label == label)
        part = relations[rows][:, cols]
        n = len(cols)
        zero = published[cols] & (shown[cols] == 0)
        # y = up - down, both non-negative; a count cannot go below zero.
        upper = np.concatenate([np.where(zero, 0.0, np.inf), np.where(zero, 0.0, x[cols])])
        lp = _LP(
            sparse.hstack([part, -part]),
            np.zeros(len(rows)),
            np.zeros(len(rows)),
            np.zeros(2 * n),
            upper,
        )
        lp.solver.setOptionValue("simplex_strategy", 1)  # dual
        weight = np.where(published[cols], shown[cols], 0.0)
        lp.cost(np.arange(2 * n), np.concatenate([weight, weight]))
        position = {int(j): i for i, j in enumerate(cols)}
        for k in cells:
            i = position[k]
            raise_by = _whole(lower[k], up=True) + math.ceil(need - _ROUNDING) - x[k]
            lp.bounds(i, raise_by, raise_by)
            lp.bounds(n + i, 0.0, 0.0)
            # From the table unchanged (all costs non-negative: dual feasible), the dual
            # simplex reaches the cheapest change in a few pivots, like a shortest path;
            # the last cell's optimal basis would first have to undo that cell's change.
            lp.solver.clearSolver()
            point, _ = lp.solve()
            lp.bounds(i, 0.0, math.inf)
            lp.bounds(n + i, 0.0, float(x[k]))
            if point is None:
                raise DisclosureError(
                    "a hidden cell can be worked out but no published cell of its "
                    "relations can protect it; publish fewer linked tables"
                )
            moved = np.abs(point[:n] - point[n:]) > 1e-6
            new = np.flatnonzero(moved & published[cols] & (weight > 0))
            chosen.update(int(cols[i]) for i in new)
            # Hidden from now on: the next exposed cells may use them for free.
            weight[new] = 0.0
            lp.cost(np.concatenate([new, n + new]), np.zeros(2 * len(new)))
    return chosen

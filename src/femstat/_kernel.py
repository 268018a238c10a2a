"""The hot path: classify and count on integer codes, block by block, in one pass.

Counting by a breakdown and femicide type needs, per record, two small integers: the
record's *key* (what the decision procedure reads: scope, relationship group, whether a
criterion is true, whether one is unknown; :attr:`femstat.RuleSet.table` is indexed by it)
and its *cell* (the mixed-radix number of its breakdown group). Both are computed from the
columns' codes in blocks of rows small enough to stay in the processor's cache, and each
block is counted straight into a histogram, so the type column is never materialised and
no temporary grows with the data.

Two interchangeable implementations read the same prepared inputs:

* ``numpy``, always available: a handful of whole-block array operations per column.
* ``numba``, with the ``fast`` extra: the same steps as compiled loops over each block,
  row ranges split across threads (each with its own histogram, added at the end).

Both read the rule from :attr:`femstat.RuleSet.table` (tabulated once from
:meth:`femstat.RuleSet.decide`); neither restates it. Which one runs is chosen by the
``kernel`` argument, else the ``FEMSTAT_KERNEL`` environment variable (``numpy``,
``numba`` or ``auto``), else automatically: numba when it is installed and the frame has
at least :data:`AUTO_NUMBA_MIN_ROWS` rows, where compiling once pays for itself.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import numpy as np

from femstat import codes as C
from femstat.errors import FemstatError, MissingDependencyError

__all__ = [
    "AUTO_NUMBA_MIN_ROWS",
    "ENV_VAR",
    "KERNELS",
    "NUMBA_BLOCK_ROWS",
    "NUMPY_BLOCK_ROWS",
    "Dimension",
    "RuleInputs",
    "classify_codes",
    "count_cells",
    "numba_available",
    "resolve",
    "scan",
]

KERNELS: tuple[str, ...] = ("numpy", "numba")
"""The implementations; ``auto`` chooses between them."""
ENV_VAR = "FEMSTAT_KERNEL"
"""Environment variable that forces a kernel: ``numpy``, ``numba`` or ``auto``."""
NUMPY_BLOCK_ROWS = 1 << 16
"""Rows per block in the numpy kernel: its temporaries (about 40 bytes a row, with
numpy's own index conversions) stay near L2 size; 16 times larger blocks run slower."""
NUMBA_BLOCK_ROWS = 1 << 14
"""Rows per block in the numba kernel: its buffers (key, two scratch bytes and a 4-byte
cell: 7 bytes a row) fit in L2; 4 and 2 times smaller or 2 times larger measured the same."""
AUTO_NUMBA_MIN_ROWS = 5_000_000
"""Below this, ``auto`` uses numpy: the numba kernel's first call in a process costs about
a second (importing numba, loading the compiled code from numba's cache), and compiling
a new breakdown signature the first time on a machine a few seconds."""
AUTO_ROWS_HINT: ContextVar[int] = ContextVar("femstat_auto_rows_hint", default=0)
"""Rows of the whole data when ``auto`` counts it in parts (set by femstat.stream)."""
_STRIPES = 4  # histogram copies for cubes of at most _STRIPE_MAX_CELLS (a power of 2)
_STRIPE_MAX_CELLS = 32  # a total (6 cells) counted 15-25 % faster; 18 or 60 cells, no gain
_THREAD_MIN_ROWS = 1 << 20  # below this a second thread costs more than it saves
_CHUNK_MIN_ROWS = 1 << 20

_N_GROUPS = len(C.RELATIONSHIP_GROUP)
# key = scope * _SCOPE_STRIDE + group * 4 + any_true * 2 + any_unknown, with scope 0 (out
# of scope), 1 (female victim of intentional homicide) or 2 (male victim of intentional
# homicide, only when the male comparator is counted). Scopes 0 and 1 are exactly the
# index of RuleSet.table; scope 2 reads the table's out-of-scope half.
_SCOPE_STRIDE = _N_GROUPS * 4
_N_KEYS = 3 * _SCOPE_STRIDE
_MALE_KEY = 2 * _SCOPE_STRIDE
_N_TYPES = len(C.FEMICIDE_TYPES)
# The male comparator counts every partner-or-family group, the unspecified one included.
_PARTNER_OR_FAMILY = tuple(C.RELATIONSHIP_GROUP.code_of(g) for g in C.PARTNER_OR_FAMILY)
# Keys are stored as uint8.
assert _N_KEYS <= 256, "too many relationship groups for a uint8 rule key"


class KernelError(FemstatError, ValueError):
    """An unknown kernel name."""


@dataclass(frozen=True)
class RuleInputs:
    """Zero-copy views of the columns the decision procedure reads.

    Built by ``femstat.classify`` after its canonical-form checks; the kernels only read
    it.

    Attributes
    ----------
    sex, relationship : numpy.ndarray
        Categorical codes of ``victim_sex`` and ``relationship``.
    group_of_relationship : numpy.ndarray
        Index in ``codes.RELATIONSHIP_GROUP`` of every relationship code.
    iccs, intentional : numpy.ndarray or None
        Codes of ``iccs_code`` and, per category, whether it is ICCS 0101 (or a subcode);
        None when the column is absent (every record is 0101).
    criteria : tuple of (values, missing) pairs
        The nullable-boolean criteria columns present in the data.
    bits : tuple of int
        Each present criterion's bit in ``criteria_met`` (its position in the rule set).
    absent_criteria : bool
        A criterion of the rule set has no column: unknown for every record.
    table : numpy.ndarray
        :attr:`femstat.RuleSet.table`.
    mask_dtype : numpy.dtype
        :attr:`femstat.RuleSet.mask_dtype`.
    """

    sex: np.ndarray
    relationship: np.ndarray
    group_of_relationship: np.ndarray
    iccs: np.ndarray | None
    intentional: np.ndarray | None
    criteria: tuple[tuple[np.ndarray, np.ndarray], ...]
    bits: tuple[int, ...]
    absent_criteria: bool
    table: np.ndarray
    mask_dtype: np.dtype


@dataclass(frozen=True)
class Dimension:
    """One breakdown column, read block by block: ``level = lut[values - offset]``.

    Attributes
    ----------
    values : numpy.ndarray
        The column's codes or values (integer or boolean), unconverted.
    lut : numpy.ndarray
        Level of every ``values - offset`` that occurs.
    size : int
        Number of levels.
    offset : int
        Subtracted from ``values`` before the look-up.
    missing : numpy.ndarray or None
        Rows whose level is ``missing_level`` whatever their value (a nullable column's
        mask). Only for 1- and 2-byte ``values``, whose look-up table covers every
        possible value, so masked rows never index outside it.
    missing_level : int
    nonnegative : bool
        No row (not marked missing) has ``values - offset < 0``: signed codes were
        checked for -1. Otherwise a negative code reads ``lut`` from the end, as numpy
        indexing does. Lets the numpy kernel replace a look-up by arithmetic.
    """

    values: np.ndarray
    lut: np.ndarray
    size: int
    offset: int = 0
    missing: np.ndarray | None = None
    missing_level: int = 0
    nonnegative: bool = False


def numba_available() -> bool:
    """Whether the compiled kernel can run (numba is importable)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def resolve(kernel: str | None = None, n_rows: int = 0) -> str:
    """The kernel to run: ``kernel``, else ``$FEMSTAT_KERNEL``, else by size.

    Parameters
    ----------
    kernel : {"numpy", "numba", "auto"}, optional
    n_rows : int
        Size of the data, for ``auto``.

    Returns
    -------
    str
        ``"numpy"`` or ``"numba"``.
    """
    name = (kernel or os.environ.get(ENV_VAR) or "auto").strip().lower()
    if name == "auto":
        # A stream of batches (femstat.stream) pays numba's first call once for all of them.
        n_rows = max(n_rows, AUTO_ROWS_HINT.get())
        return "numba" if n_rows >= AUTO_NUMBA_MIN_ROWS and numba_available() else "numpy"
    if name not in KERNELS:
        raise KernelError(
            f"unknown femstat kernel {name!r}; use 'numpy', 'numba' or 'auto' "
            f"(in the kernel argument or the {ENV_VAR} environment variable)"
        )
    if name == "numba" and not numba_available():
        raise MissingDependencyError(
            "the numba kernel needs the optional package 'numba'. "
            "Install it with: pip install 'femstat[fast]', or unset FEMSTAT_KERNEL"
        )
    return name


# --------------------------------------------------------------------------------------
# Preparation: unsigned views and look-up tables covering every possible code value.


def _unsigned(codes: np.ndarray) -> np.ndarray:
    """A read-only unsigned view of 1- or 2-byte codes (-1 becomes 255 or 65535)."""
    array = np.ascontiguousarray(codes)
    unsigned = {1: np.uint8, 2: np.uint16}.get(array.dtype.itemsize)
    if unsigned is None or array.dtype.kind not in "biu":
        raise TypeError(f"expected 1- or 2-byte integer codes, got {array.dtype}")
    view = array.view(unsigned)
    view.flags.writeable = False  # the compiled kernel sees one array type for all inputs
    return view


def _full_table(
    values: np.ndarray, lut: np.ndarray, offset: int, dtype: type[np.generic]
) -> np.ndarray:
    """``lut`` re-indexed by the unsigned view of ``values``, zero for other values.

    Every possible value indexes inside the table, so rows hidden by a mask (whose
    values are arbitrary) never read outside it. Negative signed codes (-1 for a missing
    category) read ``lut`` from the end, as numpy indexing ``lut[codes]`` does.
    """
    table = np.zeros(256 if values.dtype.itemsize == 1 else 65536, dtype=dtype)
    positions = (np.arange(len(lut), dtype=np.int64) + offset).astype(values.dtype)
    table[_unsigned(positions)] = lut
    if values.dtype.kind == "i" and offset == 0:
        n_negative = min(len(lut), np.iinfo(values.dtype).max + 1)
        negative = -np.arange(1, n_negative + 1, dtype=np.int64)
        table[_unsigned(negative.astype(values.dtype))] = lut[negative]
    table.flags.writeable = False
    return table


@dataclass(frozen=True)
class _Rules:
    """:class:`RuleInputs` as unsigned views and tables indexed by them."""

    sex: np.ndarray
    sex_scope: np.ndarray  # uint8: female -> 1 * _SCOPE_STRIDE, male -> 2 * (comparator)
    iccs: np.ndarray
    intentional: np.ndarray  # uint8 0/1
    relationship: np.ndarray
    group4: np.ndarray  # uint8: group * 4
    values: tuple[np.ndarray, ...]
    missing: tuple[np.ndarray, ...]
    n_criteria: int
    bits: np.ndarray
    absent: bool
    table: np.ndarray
    steps: tuple[np.ndarray, ...] = ()  # see _steps: sex_scope, intentional, group4


_MAX_STEPS = 12
"""Above this many steps, a table is read by look-up rather than by compares."""


def _steps(table: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A byte table as steps: ``table[v] == (deltas[0] + sum(deltas[j] * (v >= t[j-1])))``.

    Modulo 256, exact for every value ``v`` of the codes' unsigned dtype. The compiled
    kernel evaluates it with whole-vector byte compares, 32 rows an instruction; the
    table's look-up, one row at a time, cost more than all the rest of the key. Returns
    empty arrays when the table has more than :data:`_MAX_STEPS` steps, or is not a
    byte table: the kernel then looks it up.
    """
    dtype = codes.dtype
    wide = table.astype(np.int64)
    change = np.flatnonzero(np.diff(wide)) + 1
    if table.dtype != np.uint8 or len(change) > _MAX_STEPS:
        return np.zeros(0, dtype=dtype), np.zeros(0, dtype=np.uint8)
    deltas = np.concatenate([wide[:1], wide[change] - wide[change - 1]]) % 256
    thresholds, deltas = change.astype(dtype), deltas.astype(np.uint8)
    thresholds.flags.writeable = deltas.flags.writeable = False
    return thresholds, deltas


def _prepare_rules(inputs: RuleInputs, n_rows: int, *, comparator: bool) -> _Rules:
    sex = _unsigned(inputs.sex)
    scope = np.zeros(len(C.SEX), dtype=np.uint8)
    scope[C.SEX.code_of("female")] = _SCOPE_STRIDE
    if comparator:
        scope[C.SEX.code_of("male")] = 2 * _SCOPE_STRIDE
    if inputs.iccs is None:
        # No iccs_code column: every record is 0101. Reading the sex codes again through
        # an all-ones table keeps one code path (and one compiled signature).
        iccs = sex
        intentional = _full_table(inputs.sex, np.ones(len(C.SEX), dtype=np.uint8), 0, np.uint8)
    elif inputs.iccs.dtype.itemsize <= 2:
        assert inputs.intentional is not None
        # The appended 0 is what a missing category (-1) reads: not intentional homicide.
        flags = np.append(inputs.intentional, False).astype(np.uint8)
        intentional = _full_table(inputs.iccs, flags, 0, np.uint8)
        iccs = _unsigned(inputs.iccs)
    else:  # more than 32,767 ICCS categories: look the flag up once, one byte a row
        assert inputs.intentional is not None
        flags = np.append(inputs.intentional, False).astype(np.uint8)[inputs.iccs]
        iccs = _unsigned(flags)
        intentional = _full_table(flags, np.array([0, 1], dtype=np.uint8), 0, np.uint8)
    relationship = _unsigned(inputs.relationship)
    group4 = (np.asarray(inputs.group_of_relationship, dtype=np.int64) * 4).astype(np.uint8)
    values = tuple(_unsigned(v) for v, _ in inputs.criteria)
    missing = tuple(_unsigned(m) for _, m in inputs.criteria)
    for array in (iccs, relationship, *values, *missing):
        if len(array) != n_rows:
            raise ValueError("rule inputs of different lengths")  # pragma: no cover
    if not values:  # the compiled kernel needs a tuple of one array type; never read
        values = missing = (_NOTHING,)
    sex_scope = _full_table(inputs.sex, scope, 0, np.uint8)
    group4_table = _full_table(inputs.relationship, group4, 0, np.uint8)
    return _Rules(
        sex=sex,
        sex_scope=sex_scope,
        iccs=iccs,
        intentional=intentional,
        relationship=relationship,
        group4=group4_table,
        values=values,
        missing=missing,
        n_criteria=len(inputs.criteria),
        bits=np.asarray(inputs.bits, dtype=np.int64),
        absent=inputs.absent_criteria,
        table=np.ascontiguousarray(inputs.table, dtype=np.uint8),
        steps=(
            *_steps(sex_scope, sex),
            *_steps(intentional, iccs),
            *_steps(group4_table, relationship),
        ),
    )


_NOTHING = np.zeros(1, dtype=np.uint8)
_NOTHING.flags.writeable = False
_NO_RULES = _Rules(
    sex=_NOTHING,
    sex_scope=_NOTHING,
    iccs=_NOTHING,
    intentional=_NOTHING,
    relationship=_NOTHING,
    group4=_NOTHING,
    values=(_NOTHING,),
    missing=(_NOTHING,),
    n_criteria=0,
    bits=np.zeros(0, dtype=np.int64),
    absent=False,
    table=_NOTHING,
    steps=(_NOTHING[:0], _NOTHING[:0]) * 3,
)
"""Stands in when no rule is read (counting given types): the kernels never index it."""


@dataclass(frozen=True)
class _Dim:
    """A :class:`Dimension` with its stride folded into the table: cell terms."""

    values: np.ndarray  # uint8 / uint16 view, or int64
    terms: np.ndarray  # int64: level * stride
    offset: int
    missing: np.ndarray  # uint8 view; a 1-element dummy when has_missing is False
    has_missing: bool
    missing_term: int
    # The arithmetic form, when the look-up is affine on the values that occur:
    # term = values * scale + shift, from the original values (numpy kernel) or from
    # ``values`` above when they are equal to them (raw_affine: numba kernel).
    original: np.ndarray
    scale: int | None
    shift: int
    raw_affine: bool


def _affine(dim: Dimension, stride: int) -> tuple[int | None, int]:
    lut = np.asarray(dim.lut, dtype=np.int64)
    if not dim.nonnegative or len(lut) == 0 or dim.values.dtype.kind not in "biu":
        return None, 0
    step = int(lut[1] - lut[0]) if len(lut) > 1 else 0
    if (np.diff(lut) != step).any():
        return None, 0
    return step * stride, (int(lut[0]) - dim.offset * step) * stride


def _prepare_dim(dim: Dimension, stride: int, n_rows: int) -> _Dim:
    terms = np.asarray(dim.lut, dtype=np.int64) * stride
    values = dim.values
    if len(values) != n_rows:
        raise ValueError("breakdown codes of a different length")  # pragma: no cover
    scale, shift = _affine(dim, stride)
    if values.dtype.itemsize <= 2 and values.dtype.kind in "biu":
        raw = _unsigned(values)
        terms = _full_table(values, terms, dim.offset, np.int64)
        offset = 0
    else:
        if dim.missing is not None:
            raise ValueError("a masked dimension needs 1- or 2-byte values")  # pragma: no cover
        raw = np.ascontiguousarray(values, dtype=np.int64)
        raw.flags.writeable = False
        offset = dim.offset
        terms.flags.writeable = False
    if dim.missing is None:
        missing, has_missing = _NOTHING, False
    else:
        missing, has_missing = _unsigned(dim.missing), True
    # The unsigned view equals the values when none is negative: codes checked for -1,
    # integers whose minimum (the offset) is not negative.
    raw_equals_values = raw.dtype.itemsize > 2 or values.dtype.kind in "bu" or dim.offset >= 0
    return _Dim(
        raw,
        terms,
        offset,
        missing,
        has_missing,
        dim.missing_level * stride,
        values,
        scale,
        shift,
        scale is not None and raw_equals_values,
    )


@dataclass(frozen=True)
class _Outputs:
    """Where each key is counted: its type, and the male comparator's columns."""

    type_of_key: np.ndarray  # uint8, _N_KEYS
    partner_or_family: np.ndarray  # uint8 0/1, _N_KEYS
    n_out: int
    comparator: bool


def _outputs(table: np.ndarray, comparator: bool) -> _Outputs:
    keys = np.arange(_N_KEYS)
    male = keys >= _MALE_KEY
    type_of_key = table[np.where(male, keys - _MALE_KEY, keys)].astype(np.uint8)
    group = (keys % _SCOPE_STRIDE) // 4
    partner_or_family = (male & np.isin(group, _PARTNER_OR_FAMILY)).astype(np.uint8)
    return _Outputs(type_of_key, partner_or_family, _N_TYPES + 2 * comparator, comparator)


def _strides(sizes: Sequence[int], innermost: int) -> list[int]:
    strides = []
    step = innermost
    for size in reversed(sizes):
        strides.append(step)
        step *= size
    return strides[::-1]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _n_workers(n_rows: int) -> int:
    """Threads worth starting for ``n_rows`` rows."""
    return max(1, min(_cpus(), n_rows // _THREAD_MIN_ROWS))


def _chunks(n_rows: int) -> list[tuple[int, int]]:
    """Contiguous row ranges that the workers take in turn.

    Several per worker, so a thread slowed by something else on its core hands the
    rest of its share to the others instead of keeping them waiting; none under
    :data:`_CHUNK_MIN_ROWS`, where handing over would cost more than it saves.
    """
    n_workers = _n_workers(n_rows)
    n = 1 if n_workers == 1 else max(n_workers, min(8 * n_workers, n_rows // _CHUNK_MIN_ROWS))
    bounds = [n_rows * k // n for k in range(n + 1)]
    return list(itertools.pairwise(bounds))


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    # One pool for the process: starting threads costs milliseconds, a tenth of a count
    # of 20 million rows. Its workers only run kernel ranges and never wait on the pool,
    # so callers on several threads at once (Dask's threaded scheduler) just queue.
    return ThreadPoolExecutor(max(1, _cpus() - 1), thread_name_prefix="femstat")


def _run(n_rows: int, work: Callable[[int, int, int], None]) -> int:
    """Run ``work(worker, start, stop)`` over every chunk of ``n_rows``, on threads.

    Each worker takes the next chunk not yet taken until none is left; ``worker`` (from
    0) names the accumulator the chunk is added to, so no two threads write to the same
    one. Returns the number of workers.
    """
    chunks = _chunks(n_rows)
    n_workers = min(_n_workers(n_rows), len(chunks))
    if n_workers == 1:
        for start, stop in chunks:
            work(0, start, stop)
        return 1
    taken = itertools.count()
    lock = threading.Lock()  # next() alone is atomic only under the GIL

    def next_chunk() -> int:
        with lock:
            return next(taken)

    def worker(k: int) -> None:
        while (index := next_chunk()) < len(chunks):
            work(k, *chunks[index])

    futures = [_pool().submit(worker, k) for k in range(1, n_workers)]
    worker(0)  # the caller's thread works too
    for future in futures:
        future.result()
    return n_workers


def _numpy_extremes(values: np.ndarray) -> tuple[int, int]:
    return int(values.min()), int(values.max())


def scan(values: np.ndarray, missing: np.ndarray | None = None) -> tuple[int, int, int]:
    """How many rows are missing, and the smallest and largest of all values.

    ``low`` and ``high`` include rows marked missing (whose values are arbitrary): use
    them only when ``n_missing`` is 0. numpy's reductions release the GIL, so the
    chunks run side by side on the kernel's threads.

    Returns
    -------
    (n_missing, low, high) : tuple of int
    """
    n_rows = len(values)
    if n_rows == 0:
        return 0, 0, -1
    parts: list[tuple[int, int, int]] = []  # list.append is thread-safe
    extremes: Callable[[np.ndarray], tuple[int, int]] = _numpy_extremes
    if values.dtype.kind in "iu" and values.itemsize < 8 and resolve(None, n_rows) == "numba":
        extremes = _numba().extremes  # one vectorised pass for both, not two

    def work(k: int, start: int, stop: int) -> None:
        if stop <= start:  # pragma: no cover - chunks are never empty
            return
        n_missing = int(np.count_nonzero(missing[start:stop])) if missing is not None else 0
        low, high = extremes(values[start:stop])
        parts.append((n_missing, int(low), int(high)))

    _run(n_rows, work)
    return sum(p[0] for p in parts), min(p[1] for p in parts), max(p[2] for p in parts)


# --------------------------------------------------------------------------------------
# Public entry points.


def count_cells(
    dims: Sequence[Dimension],
    n_rows: int,
    *,
    rules: RuleInputs | None = None,
    types: np.ndarray | None = None,
    comparator: bool = False,
    kernel: str | None = None,
) -> np.ndarray:
    """Count records by breakdown group and femicide type, in one pass over the codes.

    Parameters
    ----------
    dims : sequence of Dimension
        The breakdown, outermost first.
    n_rows : int
    rules : RuleInputs, optional
        What the rule reads. Without ``types``, each record is classified on the fly
        (never stored); with ``types``, only the male comparator reads it.
    types : numpy.ndarray, optional
        Type codes of already classified records (non-negative, into
        ``codes.FEMICIDE_TYPES``).
    comparator : bool, default False
        Also count male victims of intentional homicide (last column) and those killed
        by a partner or family member (the column before). Needs ``rules``.
    kernel : {"numpy", "numba", "auto"}, optional
        See :func:`resolve`.

    Returns
    -------
    numpy.ndarray
        int64, shape ``(prod(dim sizes), 6 [+ 2])``: the cube's counts in the mixed-radix
        order of ``dims``, types in ``codes.FEMICIDE_TYPES`` order.
    """
    if rules is None and (types is None or comparator):
        raise ValueError("count_cells needs the rule inputs to classify or compare")
    table = np.zeros(_SCOPE_STRIDE * 2, dtype=np.uint8) if rules is None else rules.table
    outputs = _outputs(table, comparator)
    sizes = [d.size for d in dims]
    n_groups = int(np.prod(sizes, dtype=np.int64))
    strides = _strides(sizes, outputs.n_out)
    prepared = [_prepare_dim(d, s, n_rows) for d, s in zip(dims, strides, strict=True)]
    need_keys = rules is not None and (types is None or comparator)
    prepared_rules = (
        _prepare_rules(rules, n_rows, comparator=comparator)
        if rules is not None and need_keys
        else _NO_RULES
    )
    if types is None:
        given = np.zeros(1, dtype=np.uint8)
    else:
        given = _unsigned(types)
        if len(given) != n_rows:
            raise ValueError("type codes of a different length")  # pragma: no cover
    hists = np.zeros((_n_workers(n_rows), n_groups * outputs.n_out), dtype=np.int64)
    if resolve(kernel, n_rows) == "numba":
        run_range = _numba().count_range
        # Cells in 32 bits: half the memory traffic of 64 in every pass over a block's
        # cells, and twice the rows per vector instruction (measured about 8 % faster).
        # counts.py caps a cube at 50 million cells per type column, far below 2**31.
        if n_groups * outputs.n_out >= 2**31:  # pragma: no cover - capped by the caller
            raise ValueError("a cube of 2**31 cells or more needs the general path")
        int32 = np.int32
        dim_tuple = tuple(
            (
                d.values,
                d.terms.astype(int32),
                d.offset,
                d.missing,
                d.has_missing,
                int32(d.missing_term),
                d.raw_affine,
                int32(d.scale or 0),
                int32(d.shift),
            )
            for d in prepared
        )
        if not dim_tuple:
            # numba cannot iterate over an empty tuple: one level, term 0 for every value
            # of some row-length array, changes nothing.
            rows = given if types is not None else prepared_rules.sex
            zeros = np.zeros(65536, dtype=int32)
            dim_tuple = ((rows, zeros, 0, _NOTHING, False, int32(0), True, int32(0), int32(0)),)

        rule_args = _rule_args(prepared_rules)

        def work(k: int, start: int, stop: int) -> None:
            run_range(
                start,
                stop,
                need_keys,
                rule_args,
                dim_tuple,
                outputs.type_of_key,
                types is not None,
                given,
                outputs.comparator,
                outputs.partner_or_family,
                outputs.n_out,
                hists[k],
            )

    else:

        def work(k: int, start: int, stop: int) -> None:
            _numpy_count_range(
                start,
                stop,
                prepared_rules if need_keys else None,
                prepared,
                outputs,
                given if types is not None else None,
                hists[k],
            )

    n_workers = _run(n_rows, work)
    return hists[:n_workers].sum(axis=0).reshape(n_groups, outputs.n_out)


def classify_codes(
    inputs: RuleInputs, n_rows: int, *, kernel: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Every record's type code and criteria bit mask.

    Parameters
    ----------
    inputs : RuleInputs
    n_rows : int
    kernel : {"numpy", "numba", "auto"}, optional
        See :func:`resolve`.

    Returns
    -------
    types : numpy.ndarray
        int8 codes into ``codes.FEMICIDE_TYPES``.
    criteria_met : numpy.ndarray
        ``inputs.mask_dtype``: bit *i* set when criterion *i* of the rule set is true.
    """
    rules = _prepare_rules(inputs, n_rows, comparator=False)
    types = np.empty(n_rows, dtype=np.int8)
    met = np.zeros(n_rows, dtype=inputs.mask_dtype)
    if resolve(kernel, n_rows) == "numba":
        run_range = _numba().classify_range

        rule_args = _rule_args(rules)

        def work(k: int, start: int, stop: int) -> None:
            run_range(start, stop, rule_args, types.view(np.uint8), met)

    else:

        def work(k: int, start: int, stop: int) -> None:
            _numpy_classify_range(start, stop, rules, types.view(np.uint8), met)

    _run(n_rows, work)
    return types, met


def _rule_args(rules: _Rules) -> tuple[Any, ...]:
    """What the compiled kernel reads of the rules, as one tuple (see :func:`_block_keys`)."""
    return (
        rules.sex,
        rules.sex_scope,
        rules.iccs,
        rules.intentional,
        rules.relationship,
        rules.group4,
        rules.values,
        rules.missing,
        rules.n_criteria,
        rules.bits,
        rules.absent,
        rules.table,
        rules.steps,
    )


# --------------------------------------------------------------------------------------
# The numpy kernel: whole-block array operations into preallocated block buffers.


def _numpy_keys(rules: _Rules, start: int, stop: int, key: np.ndarray, flag: np.ndarray) -> None:
    """Write the rule key of rows ``start:stop`` into ``key`` (uint8); ``flag`` is scratch."""
    # mode="clip" everywhere: every index is in range (the tables cover every value of
    # the index dtype), and numpy's default bounds check costs more than the gather.
    np.take(rules.sex_scope, rules.sex[start:stop], out=key, mode="clip")
    np.take(rules.intentional, rules.iccs[start:stop], out=flag, mode="clip")
    key *= flag
    np.take(rules.group4, rules.relationship[start:stop], out=flag, mode="clip")
    key += flag
    any_true = np.zeros(len(key), dtype=bool)
    any_unknown = np.full(len(key), rules.absent, dtype=bool)
    true = flag.view(bool)
    for k in range(rules.n_criteria):
        values = rules.values[k][start:stop].view(bool)
        missing = rules.missing[k][start:stop].view(bool)
        np.greater(values, missing, out=true)  # true and not missing
        any_true |= true
        any_unknown |= missing
    np.left_shift(any_true.view(np.uint8), 1, out=flag)
    key |= flag
    key |= any_unknown.view(np.uint8)


def _numpy_count_range(
    start: int,
    stop: int,
    rules: _Rules | None,
    dims: Sequence[_Dim],
    outputs: _Outputs,
    types: np.ndarray | None,
    hist: np.ndarray,
) -> None:
    block = max(1, min(NUMPY_BLOCK_ROWS, stop - start))
    key = np.empty(block, dtype=np.uint8)
    flag = np.empty(block, dtype=np.uint8)
    cell = np.empty(block, dtype=np.int64)
    term = np.empty(block, dtype=np.int64)
    counted = np.empty(block, dtype=np.int64)
    small_hist = len(hist) <= block  # else a per-block bincount would cost more than add.at
    type_of_key = outputs.type_of_key.astype(np.int64)  # np.take writes only its own dtype

    def add(where: np.ndarray) -> None:
        if small_hist:
            hist[:] += np.bincount(where, minlength=len(hist))
        else:
            np.add.at(hist, where, 1)

    for s in range(start, stop, block):
        e = min(s + block, stop)
        m = e - s
        if rules is not None:
            _numpy_keys(rules, s, e, key[:m], flag[:m])
        cell[:m] = 0
        for d in dims:
            if d.scale is not None:  # codes and years: arithmetic, no gather
                np.multiply(d.original[s:e], d.scale, out=term[:m], dtype=np.int64)
                term[:m] += d.shift
            else:
                values = d.values[s:e]
                index = values - d.offset if d.offset else values
                np.take(d.terms, index, out=term[:m], mode="clip")
            if d.has_missing:
                np.copyto(term[:m], d.missing_term, where=d.missing[s:e].view(bool))
            cell[:m] += term[:m]
        if types is None:
            np.take(type_of_key, key[:m], out=counted[:m], mode="clip")
        else:
            counted[:m] = types[s:e]
        counted[:m] += cell[:m]
        add(counted[:m])
        if outputs.comparator:
            male = key[:m] >= _MALE_KEY
            add(cell[:m][male] + (outputs.n_out - 1))
            partner_or_family = outputs.partner_or_family[key[:m]].view(bool)
            add(cell[:m][partner_or_family] + (outputs.n_out - 2))


def _numpy_classify_range(
    start: int, stop: int, rules: _Rules, types: np.ndarray, met: np.ndarray
) -> None:
    block = max(1, min(NUMPY_BLOCK_ROWS, stop - start))
    key = np.empty(block, dtype=np.uint8)
    flag = np.empty(block, dtype=np.uint8)
    true = np.empty(block, dtype=bool)
    for s in range(start, stop, block):
        e = min(s + block, stop)
        m = e - s
        _numpy_keys(rules, s, e, key[:m], flag[:m])
        np.take(rules.table, key[:m], out=types[s:e], mode="clip")
        out = met[s:e]
        for k in range(rules.n_criteria):
            np.greater(
                rules.values[k][s:e].view(bool), rules.missing[k][s:e].view(bool), out=true[:m]
            )
            out |= true[:m].astype(met.dtype) << met.dtype.type(rules.bits[k])


# --------------------------------------------------------------------------------------
# The numba kernel. Plain functions here, compiled on first use by _numba(); each block's
# loops are simple enough for LLVM to vectorise all but the histogram increments.
# Mutation testing leaves it alone: its wrapped functions could not be compiled.
# pragma: no mutate start

_literal_unroll: Any = None  # numba.literal_unroll, bound by _numba() before compiling


def _table_part(
    codes: np.ndarray,
    table: np.ndarray,
    thresholds: np.ndarray,
    deltas: np.ndarray,
    out: np.ndarray,
) -> None:
    """``out[i] = table[codes[i]]``: by the table's steps (:func:`_steps`) if it has them."""
    m = len(codes)
    if len(deltas) == 0:
        for i in range(m):
            out[i] = table[codes[i]]
        return
    base = deltas[0]
    for i in range(m):
        out[i] = base
    zero = np.uint8(0)
    for j in range(1, len(deltas)):
        threshold = thresholds[j - 1]
        delta = deltas[j]
        for i in range(m):
            out[i] += delta if codes[i] >= threshold else zero


def _block_keys(
    s: int, e: int, rules: tuple[Any, ...], key: np.ndarray, scratch: np.ndarray
) -> None:
    """Write the rule key of rows ``s:e`` into ``key``; ``scratch`` is two rows of buffer.

    ``rules`` is :func:`_rule_args`' tuple.
    """
    sex, sex_scope, iccs, intentional, relationship, group4 = rules[:6]
    values, missing, n_criteria, _bits, absent, _table, steps = rules[6:]
    one = np.uint8(1)
    m = e - s
    intentional_part = scratch[0]
    group_part = scratch[1]
    _table_part_jit(sex[s:e], sex_scope, steps[0], steps[1], key)
    _table_part_jit(iccs[s:e], intentional, steps[2], steps[3], intentional_part)
    _table_part_jit(relationship[s:e], group4, steps[4], steps[5], group_part)
    for i in range(m):
        key[i] = key[i] * intentional_part[i] + group_part[i]
    if absent:
        for i in range(m):
            key[i] |= one
    for k in range(n_criteria):
        v = values[k][s:e]
        mk = missing[k][s:e]
        for i in range(m):
            key[i] |= np.uint8(((v[i] & (mk[i] ^ one)) << one) | mk[i])


def _add_terms(s: int, e: int, dim: tuple[Any, ...], cell: np.ndarray) -> None:
    """Add one dimension's term of rows ``s:e`` to ``cell`` (int32, as the terms)."""
    raw, terms, offset, dim_missing, has_missing, missing_term, affine, scale, shift = dim
    r = raw[s:e]
    if affine:  # codes and years: arithmetic, no gather
        if has_missing:
            mm = dim_missing[s:e]
            for i in range(e - s):
                cell[i] += missing_term if mm[i] else r[i] * scale + shift
        else:
            for i in range(e - s):
                cell[i] += r[i] * scale + shift
    elif has_missing:
        mm = dim_missing[s:e]
        for i in range(e - s):
            cell[i] += missing_term if mm[i] else terms[r[i] - offset]
    else:
        for i in range(e - s):
            cell[i] += terms[r[i] - offset]


def _count_range(
    start: int,
    stop: int,
    need_keys: bool,
    rules: tuple[Any, ...],
    dims: tuple[Any, ...],
    type_of_key: np.ndarray,
    given_types: bool,
    types: np.ndarray,
    comparator: bool,
    partner_or_family: np.ndarray,
    n_out: int,
    hist: np.ndarray,
) -> None:
    block = NUMBA_BLOCK_ROWS
    key = np.zeros(block, dtype=np.uint8)
    scratch = np.zeros((2, block), dtype=np.uint8)
    cell = np.empty(block, dtype=np.int32)  # see count_cells
    male_key = np.uint8(_MALE_KEY)
    # A cube of a few cells (a total: 6) has most consecutive rows in the same cell, and
    # each increment then waits for the previous one's store. Row i goes to stripe i % 4
    # instead, and the stripes are added at the end.
    n_hist = len(hist)
    striped = n_hist <= _STRIPE_MAX_CELLS
    stripes = np.zeros(_STRIPES * n_hist if striped else 0, dtype=np.int64)
    lane = _STRIPES - 1
    for s in range(start, stop, block):
        e = min(s + block, stop)
        m = e - s
        if need_keys:
            _block_keys_jit(s, e, rules, key, scratch)
        for i in range(m):
            cell[i] = 0
        for dim in _literal_unroll(dims):
            _add_terms_jit(s, e, dim, cell)  # one call per dimension: numba types each
        if striped and given_types:
            t = types[s:e]
            for i in range(m):
                stripes[(i & lane) * n_hist + cell[i] + t[i]] += 1
        elif striped:
            for i in range(m):
                stripes[(i & lane) * n_hist + cell[i] + type_of_key[key[i]]] += 1
        elif given_types:
            t = types[s:e]
            for i in range(m):
                hist[cell[i] + t[i]] += 1
        else:
            for i in range(m):
                hist[cell[i] + type_of_key[key[i]]] += 1
        if comparator:
            for i in range(m):
                k = key[i]
                if k >= male_key:
                    hist[cell[i] + n_out - 1] += 1
                    if partner_or_family[k]:
                        hist[cell[i] + n_out - 2] += 1
    for j in range(len(stripes)):
        hist[j % n_hist] += stripes[j]


def _classify_range(
    start: int, stop: int, rules: tuple[Any, ...], types: np.ndarray, met: np.ndarray
) -> None:
    values, missing, n_criteria, bits = rules[6:10]
    table = rules[11]
    block = NUMBA_BLOCK_ROWS
    key = np.empty(block, dtype=np.uint8)
    scratch = np.zeros((2, block), dtype=np.uint8)
    one = np.uint8(1)
    for s in range(start, stop, block):
        e = min(s + block, stop)
        _block_keys_jit(s, e, rules, key, scratch)
        t = types[s:e]
        for i in range(e - s):
            t[i] = table[key[i]]
        out = met[s:e]
        for k in range(n_criteria):
            v = values[k][s:e]
            mm = missing[k][s:e]
            bit = bits[k]
            for i in range(e - s):
                out[i] |= (v[i] & (mm[i] ^ one)) << bit


def _extremes(values: np.ndarray) -> tuple[int, int]:
    """Smallest and largest of ``values`` (not empty), in one pass."""
    low = values[0]
    high = values[0]
    for i in range(len(values)):  # from 0: no negative-index check, so LLVM vectorises
        low = min(low, values[i])
        high = max(high, values[i])
    return low, high


_block_keys_jit: Any = None  # the compiled _block_keys, bound by _numba()
_add_terms_jit: Any = None  # the compiled _add_terms, bound by _numba()
_table_part_jit: Any = None  # the compiled _table_part, bound by _numba()


@lru_cache(maxsize=1)
def _numba() -> SimpleNamespace:
    """Compile-on-first-call versions of the numba kernel (cached on disk by numba)."""
    try:
        import numba
    except ImportError as exc:  # pragma: no cover - resolve() checks first
        raise MissingDependencyError(
            "the numba kernel needs numba: pip install 'femstat[fast]'"
        ) from exc
    global _literal_unroll, _block_keys_jit, _add_terms_jit, _table_part_jit
    _literal_unroll = numba.literal_unroll
    jit = numba.njit(nogil=True, cache=True)
    _table_part_jit = jit(_table_part)
    _block_keys_jit = jit(_block_keys)
    _add_terms_jit = jit(_add_terms)
    return SimpleNamespace(
        count_range=jit(_count_range),
        classify_range=jit(_classify_range),
        extremes=jit(_extremes),
    )


# pragma: no mutate end

"""The one-pass kernels: numpy and numba give the same types and cubes as the general path.

The references are independent of femstat._kernel: types from :func:`femstat.facts` and
``RuleSet.table`` (the tabulated rule), cubes from the general counting path
(``group_cells`` and ``np.bincount``), which :func:`femstat.counts` keeps for what the
kernel does not take.
"""

from __future__ import annotations

import importlib
import itertools
import os
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat import _kernel
from femstat import codes as C
from femstat.classify import facts
from femstat.testing import assert_cubes_equal, victims

MX = fs.RuleSet(
    name="MX_TEST",
    criteria=("sexual_violence", "mx_threats", "mutilation"),
    qualifying_groups={},
    type_column="femicide_type_mx",
    criteria_column="criteria_met_mx",
)
cube_module = importlib.import_module("femstat._cube")  # where the counting paths live
BREAKDOWNS = ["year", "area", "age_group", "place", "relationship_group", "victim_migrant"]


@pytest.fixture(params=_kernel.KERNELS, scope="module")
def kernel(request: pytest.FixtureRequest) -> str:
    """Each kernel; numba is a test dependency, so its absence fails under CI."""
    if request.param == "numba" and not _kernel.numba_available():
        if os.environ.get("CI"):
            pytest.fail("numba is not installed; the test extra must install femstat[fast]")
        pytest.skip("numba is not installed (pip install 'femstat[fast]')")
    return str(request.param)


@contextmanager
def forced(kernel: str) -> Iterator[None]:
    """Run fs.classify and fs.counts on one kernel (hypothesis forbids monkeypatch here)."""
    with mock.patch.dict(os.environ, {_kernel.ENV_VAR: kernel}):
        yield


@contextmanager
def small_blocks(rows: int) -> Iterator[None]:
    """numpy blocks, thread shares and chunks of a few rows, so tiny frames cross them.

    The numba block size is a compile-time constant; frames around it are drawn instead.
    """
    with (
        mock.patch.object(_kernel, "NUMPY_BLOCK_ROWS", rows),
        mock.patch.object(_kernel, "_THREAD_MIN_ROWS", 2 * rows),
        mock.patch.object(_kernel, "_CHUNK_MIN_ROWS", rows),
    ):
        yield


def reference_types(df: pd.DataFrame, rules: fs.RuleSet = fs.UN_2022) -> pd.DataFrame:
    """Type and criteria columns from facts() and the rule table, without the kernel."""
    f = facts(df, rules)
    n_groups = len(C.RELATIONSHIP_GROUP)  # from the code list, like RuleSet.table's key
    key = (f["in_scope"].astype(np.int64) * n_groups + f["group"]) * 2 + (f["criteria_met"] != 0)
    key *= 2
    key += f["any_unknown"]
    out = df.copy(deep=False)
    out[rules.type_column] = pd.Categorical.from_codes(
        rules.table[key], dtype=C.FEMICIDE_TYPE.dtype
    )
    out[rules.criteria_column] = f["criteria_met"]
    return out


def general_counts(typed: pd.DataFrame, by: list[str], **options: object) -> pd.DataFrame:
    """fs.counts through its general path (group_cells and np.bincount)."""
    with mock.patch.object(cube_module, "_count_in_one_pass", return_value=None):
        return fs.counts(typed, by, **options)  # type: ignore[arg-type]


def assert_classified_equal(
    typed: pd.DataFrame, reference: pd.DataFrame, rules: fs.RuleSet = fs.UN_2022
) -> None:
    """Same columns and dtypes, same type codes and bit masks (assert_frame_equal boxes
    every categorical value: minutes on a million rows)."""
    assert list(typed.columns) == list(reference.columns)
    assert (typed.dtypes == reference.dtypes).all()
    for column in (rules.type_column, rules.criteria_column):
        got, expected = typed[column], reference[column]
        if isinstance(got.dtype, pd.CategoricalDtype):
            got, expected = got.cat.codes, expected.cat.codes
        np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


def check_frame(df: pd.DataFrame, kernel: str, by: list[str], comparator: bool) -> None:
    typed_reference = reference_types(df)
    with forced(kernel):
        typed = fs.classify(df)
        assert_classified_equal(typed, typed_reference)
        expected = general_counts(typed_reference, by, male_comparator=comparator)
        one_pass = fs.counts(df, by, male_comparator=comparator)
        pd.testing.assert_frame_equal(one_pass, expected)
        pd.testing.assert_frame_equal(fs.counts(typed, by, male_comparator=comparator), expected)


# --------------------------------------------------------------------------------------
# Both kernels against the references, on hypothesis frames.


@given(
    df=victims(min_size=1, max_size=80),
    by=st.lists(st.sampled_from(BREAKDOWNS), unique=True, max_size=3),
    comparator=st.booleans(),
    block=st.integers(1, 9),
)
def test_kernels_match_the_references(kernel, df, by, comparator, block):
    with small_blocks(block):
        check_frame(df, kernel, by, comparator)


# --------------------------------------------------------------------------------------
# Synthetic frames around the block sizes, and large enough for two threads.

SIZES = [
    1,
    2,
    _kernel.NUMBA_BLOCK_ROWS - 1,
    _kernel.NUMBA_BLOCK_ROWS,
    _kernel.NUMBA_BLOCK_ROWS + 1,
    3 * _kernel.NUMBA_BLOCK_ROWS + 7,
    _kernel.NUMPY_BLOCK_ROWS - 1,
    _kernel.NUMPY_BLOCK_ROWS + 1,
]


BREAKDOWNS = [["year", "area", "age_group"], ["mechanism"], [], ["victim_disability"]]


@pytest.mark.parametrize("n", SIZES)
def test_kernels_agree_on_synthetic_frames_around_block_bounds(kernel, n):
    # Every size with every breakdown (a total and an 18-cell cube use the striped
    # histogram), the comparator on for every other one.
    df = fs.synth.generate(n, seed=n)
    for i, by in enumerate(BREAKDOWNS):
        check_frame(df, kernel, by, comparator=bool(i % 2))


@settings(max_examples=12)
@given(
    n=st.integers(1, 5000),
    seed=st.integers(0, 2**32 - 1),
    by=st.sampled_from(BREAKDOWNS),
    comparator=st.booleans(),
)
def test_kernels_agree_on_synthetic_frames_of_any_size(kernel, n, seed, by, comparator):
    check_frame(fs.synth.generate(n, seed=seed), kernel, by, comparator)


@pytest.mark.slow
def test_kernels_agree_across_threads(kernel):
    df = fs.synth.generate(2 * _kernel._THREAD_MIN_ROWS + 12_345, seed=11)
    assert _kernel._n_workers(len(df)) == min(2, len(os.sched_getaffinity(0)))
    assert len(_kernel._chunks(len(df))) >= _kernel._n_workers(len(df))
    check_frame(df, kernel, ["year", "area", "age_group"], comparator=True)


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(0, 3_000),
    dtype=st.sampled_from(["int8", "int16", "int64", "uint16"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_scan_counts_missing_and_finds_the_extremes_across_chunks(kernel, n, dtype, seed):
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype)
    missing = rng.random(n) < 0.3
    with (
        forced(kernel),
        mock.patch.object(_kernel, "_THREAD_MIN_ROWS", 100),
        mock.patch.object(_kernel, "_CHUNK_MIN_ROWS", 37),
    ):
        got = _kernel.scan(values, missing)
    if n == 0:
        assert got == (0, 0, -1)
    else:
        assert got == (int(missing.sum()), int(values.min()), int(values.max()))


def test_the_chunks_cover_every_row_once_and_every_worker_gets_work():
    with (
        mock.patch.object(_kernel, "_THREAD_MIN_ROWS", 10),
        mock.patch.object(_kernel, "_CHUNK_MIN_ROWS", 3),
    ):
        for n_rows in (0, 1, 9, 10, 25, 1_000):
            chunks = _kernel._chunks(n_rows)
            assert len(chunks) >= _kernel._n_workers(n_rows)
            covered = np.zeros(n_rows, dtype=np.int64)
            for start, stop in chunks:
                covered[start:stop] += 1
            assert (covered == 1).all()
            seen: list[tuple[int, int, int]] = []

            def record(k: int, a: int, b: int, seen: list[tuple[int, int, int]] = seen) -> None:
                seen.append((k, a, b))

            workers = _kernel._run(n_rows, record)
            assert sorted((a, b) for _, a, b in seen) == chunks
            assert {k for k, _, _ in seen} <= set(range(workers))


# --------------------------------------------------------------------------------------
# What the rule reads, in every form the kernel must read as the general path does.


def every_key_frame() -> pd.DataFrame:
    """Every scope case x relationship code x criteria pattern that changes the key."""
    n = len(C.CRITERIA)
    patterns: list[list[bool | None]] = [[False] * n, [None] * n]
    for i in range(n):
        true, unknown, both = [False] * n, [False] * n, [False] * n
        true[i], unknown[i] = True, None
        both[i], both[(i + 1) % n] = True, None
        patterns += [true, unknown, both]
    scopes = [("female", "0101"), ("female", "01011"), ("female", "0102"), ("male", "0101")]
    scopes += [("male", "0103"), ("unknown", "0101")]
    rows = [
        {
            "year": 2020,
            "victim_sex": sex,
            "iccs_code": iccs,
            "victim_age": 30,
            "relationship": relationship,
            **dict(zip(C.CRITERIA, pattern, strict=True)),
        }
        for (sex, iccs), relationship, pattern in itertools.product(
            scopes, C.RELATIONSHIP.codes, patterns
        )
    ]
    return fs.validate(pd.DataFrame(rows), report=True)[0]


def test_every_key(kernel):
    df = every_key_frame()
    check_frame(df, kernel, ["relationship_group"], comparator=True)
    check_frame(df, kernel, ["iccs_code", "victim_sex"], comparator=False)


def test_national_rule_set_with_absent_criterion_and_other_columns(kernel):
    df = fs.synth.generate(5000, seed=3)  # has no mx_threats column: unknown everywhere
    with forced(kernel):
        typed = fs.classify(df, rules=[fs.UN_2022, MX])
        reference = reference_types(reference_types(df), MX)
        assert_classified_equal(typed, reference)
        assert_classified_equal(typed, reference, MX)
        one_pass = fs.counts(df, ["area"], type_column="femicide_type_mx", rules=MX)
    expected = general_counts(reference, ["area"], type_column="femicide_type_mx")
    pd.testing.assert_frame_equal(one_pass, expected)


def test_frame_without_iccs_and_criteria_columns(kernel):
    df = fs.synth.generate(3000, seed=4).drop(columns=["iccs_code", *C.CRITERIA[:5]])
    check_frame(df, kernel, ["year", "relationship_group"], comparator=True)


def test_missing_codes_read_as_the_general_path_reads_them(kernel):
    # A canonical dtype can still hold NaN when a frame was built without validate:
    # facts() reads a missing relationship code (-1) as the last code, unknown, and a
    # missing ICCS code as not intentional; the kernel must agree.
    df = fs.synth.generate(3000, seed=5)
    df.loc[::7, "relationship"] = np.nan
    df.loc[::11, "iccs_code"] = np.nan
    check_frame(df, kernel, ["year", "relationship_group"], comparator=True)


def test_free_columns_of_every_kind(kernel):
    df = fs.synth.generate(4000, seed=6)
    df["region"] = pd.Categorical(np.where(df["victim_id"] % 3 == 0, "south", "north"))
    df["region"] = df["region"].cat.add_categories(["east"])  # a category nobody has
    df["cohort"] = (df["victim_id"] % 5 * 10 - 20).astype(np.int64)  # negative, sparse
    df["code"] = (df["victim_id"] % 4).astype(np.int8)
    df["shift"] = (df["victim_id"] % 5 - 2).astype(np.int16)  # negative: no unsigned view
    df["label"] = np.where(df["victim_id"] % 2 == 0, "x", "y")  # strings: general encoding
    df["year"] = df["year"].astype("int32")
    for by in (["region", "cohort"], ["code", "label"], ["year", "shift", "age_group"]):
        check_frame(df, kernel, by, comparator=False)


def test_other_age_schemes(kernel):
    df = fs.synth.generate(3000, seed=8)
    typed = reference_types(df)
    for scheme in ("five_year", [0, 18, 65], fs.AgeScheme("custom", (0, 1, 5))):
        with forced(kernel):
            got = fs.counts(df, ["age_group"], age_groups=scheme)
        assert_cubes_equal(got, general_counts(typed, ["age_group"], age_groups=scheme))


def test_breakdown_errors_are_the_general_paths(kernel):
    df = fs.synth.generate(100, seed=9)
    df["region"] = pd.Categorical(["a"] * 99 + [None])
    with forced(kernel):
        with pytest.raises(KeyError, match="'region' has 1 missing value"):
            fs.counts(df, ["region"])
        with pytest.raises(KeyError, match="not in the data"):
            fs.counts(df, ["province"])
        with pytest.raises(KeyError, match="repeated"):
            fs.counts(df, ["year", "year"])
        with pytest.raises(TypeError, match="not a nullable boolean"):
            fs.counts(df.assign(abduction=df["abduction"].astype(object)), ["year"])


# --------------------------------------------------------------------------------------
# Choosing the kernel, and memory.


def test_kernel_choice(monkeypatch):
    monkeypatch.delenv(_kernel.ENV_VAR, raising=False)
    assert _kernel.resolve(n_rows=10) == "numpy"
    assert _kernel.resolve("numpy", n_rows=10**9) == "numpy"
    big = _kernel.AUTO_NUMBA_MIN_ROWS
    assert _kernel.resolve(n_rows=big) == ("numba" if _kernel.numba_available() else "numpy")
    monkeypatch.setenv(_kernel.ENV_VAR, "numpy")
    assert _kernel.resolve(n_rows=big) == "numpy"
    monkeypatch.setenv(_kernel.ENV_VAR, "fortran")
    with pytest.raises(ValueError, match="unknown femstat kernel 'fortran'"):
        fs.counts(fs.synth.generate(10, seed=1), ["year"])


def test_numba_kernel_without_numba_says_which_extra(monkeypatch):
    monkeypatch.setattr(_kernel, "numba_available", lambda: False)
    with pytest.raises(fs.MissingDependencyError, match=r"femstat\[fast\]"):
        _kernel.resolve("numba")


def test_numpy_kernel_needs_little_extra_memory():
    # The design bound of the hot path (docs/performance.md): classify-and-count
    # allocates a few block-sized buffers, not columns. tracemalloc sees numpy's
    # allocations; the bound is far above the ~10 MB expected and far below what one
    # full-size int64 column (8 MB per million rows) per breakdown would take.
    df = fs.synth.generate(2_000_000, seed=10)
    frame_bytes = int(df.memory_usage(deep=True).sum())
    with forced("numpy"):
        fs.counts(df, ["year", "area", "age_group"])  # warm caches (age tables)
        tracemalloc.start()
        try:
            fs.counts(df, ["year", "area", "age_group"], male_comparator=True)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 0.25 * frame_bytes
    assert peak < 40 * 2**20

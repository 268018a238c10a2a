"""The estimate of a file read batch by batch, or of a Dask frame, is the estimate of the
whole frame: number for number, for the same seed, at any batch size or partitioning."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat import codes as C
from femstat._estimate_cube import merge_cubes
from femstat.estimates import EstimateError, estimate_from_file

NUMBERS = ["observed", "bound_lower", "bound_upper", "estimate", "lower", "upper", "fmi", "df"]
RATES = ["population", "rate", "rate_lower", "rate_upper"]
KW = {"m": 4, "seed": 11}


def same(expected: pd.DataFrame, got: pd.DataFrame, by: list[str]) -> None:
    columns = [c for c in [*NUMBERS, *RATES] if c in expected.columns]
    pd.testing.assert_frame_equal(
        expected[columns].reset_index(drop=True), got[columns].reset_index(drop=True)
    )
    for name in [*by, "femicide_type"]:
        assert expected[name].astype(str).tolist() == got[name].astype(str).tolist()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    frame = fs.synth.generate(3_000, seed=21, years=(2020, 2022))
    # Put the records with nothing unknown first, so that the first batches impute nothing,
    # and give one area only to the last rows (a level one batch alone has).
    typed = fs.classify(frame)
    criteria = list(fs.UN_2022.criteria)
    unknown = (typed["relationship"] == "unknown").to_numpy() | typed[criteria].isna().any(
        axis=1
    ).to_numpy()
    frame = frame.iloc[np.argsort(unknown, kind="stable")].reset_index(drop=True)
    frame["area"] = frame["area"].astype(str)
    frame.loc[len(frame) - 40 :, "area"] = "ZZ-late"
    assert not unknown[np.argsort(unknown, kind="stable")][:500].any()
    return frame


@pytest.fixture(scope="module")
def parquet(raw: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("estimate") / "victims.parquet"
    raw.to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def typed(parquet: Path) -> pd.DataFrame:
    return fs.classify(fs.read(parquet))


@pytest.fixture(scope="module")
def whole(typed: pd.DataFrame) -> pd.DataFrame:
    return fs.estimate(typed, ["year", "area"], **KW)


@pytest.mark.parametrize("batch_size", [500, 999, 2_999, 10**7])
def test_a_file_in_batches_gives_the_numbers_of_the_whole_frame(
    parquet: Path, whole: pd.DataFrame, batch_size: int
) -> None:
    # batch 500: the first batch has nothing unknown; the last batch alone holds the area
    # ZZ-late.
    got = estimate_from_file(parquet, ["year", "area"], batch_size=batch_size, **KW)
    same(whole, got, ["year", "area"])
    assert got.attrs["femstat_estimate"]["seed"] == KW["seed"]


def test_a_csv_file_in_batches_with_rates_and_allocation(raw: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "victims.csv"
    raw.to_csv(path, index=False)
    typed = fs.classify(fs.read(path))
    population = pd.DataFrame(
        {"year": [2020, 2021, 2022], "sex": "female", "population": [9e5, 1e6, 1.1e6]}
    )
    for method in ("impute", "allocate"):
        expected = fs.estimate(typed, "year", population, method=method, **KW)
        got = estimate_from_file(path, "year", population, method=method, batch_size=700, **KW)
        same(expected, got, ["year"])


def test_a_batch_that_cannot_be_validated_is_named_with_its_rows_in_the_file(
    raw: pd.DataFrame, tmp_path: Path
) -> None:
    broken = raw.copy()
    broken["victim_sex"] = broken["victim_sex"].astype(str)
    broken.loc[2_500, "victim_sex"] = "not-a-sex"
    path = tmp_path / "broken.parquet"
    broken.to_parquet(path, index=False)
    with pytest.raises(fs.ValidationError, match=r"batch 3 .*from row 2,000") as info:
        estimate_from_file(path, "year", batch_size=1_000, **KW)
    assert 2_500 in info.value.failure_cases["rows"].iloc[0]


def test_a_victim_id_repeated_in_two_batches_is_an_error(raw: pd.DataFrame, tmp_path: Path):
    repeated = raw.copy()
    repeated.loc[2_900, "victim_id"] = repeated.loc[10, "victim_id"]
    path = tmp_path / "repeated.parquet"
    repeated.to_parquet(path, index=False)
    with pytest.raises(fs.ValidationError, match="victim_id"):
        estimate_from_file(path, batch_size=1_000, **KW)


def test_bad_arguments_fail_before_the_file_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.parquet"
    with pytest.raises(EstimateError, match="m must be at least 2"):
        estimate_from_file(missing, m=1)
    with pytest.raises(EstimateError, match="refused"):
        estimate_from_file(missing, covariates=["victim_id"])


def test_dask_gives_the_numbers_of_the_whole_frame_on_any_partitioning(
    typed: pd.DataFrame, whole: pd.DataFrame
) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import femstat.dask as fdask

    for n in (1, 3, 7):
        ddf = dd.from_pandas(typed, npartitions=n, sort=False)
        same(whole, fdask.estimate(ddf, ["year", "area"], **KW), ["year", "area"])
    # A partition with no rows, between two with rows.
    parts = [typed.iloc[:1_500], typed.iloc[:0], typed.iloc[1_500:]]
    ddf = dd.concat([dd.from_pandas(p, npartitions=1, sort=False) for p in parts])
    assert ddf.npartitions == 3
    same(whole, fdask.estimate(ddf, ["year", "area"], **KW), ["year", "area"])


def test_dask_checks_each_partition_against_its_rule_set(typed: pd.DataFrame) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import femstat.dask as fdask

    edited = typed.copy()
    last = len(edited) - 1
    other = (
        "intimate_partner"
        if edited.loc[last, "femicide_type"] != "intimate_partner"
        else "undetermined"
    )
    edited.loc[last, "femicide_type"] = other
    ddf = dd.from_pandas(edited, npartitions=3, sort=False)
    with pytest.raises(EstimateError, match=r"partition 2: 'femicide_type' disagrees"):
        fdask.estimate(ddf, **KW)
    with pytest.raises(EstimateError, match="no rows"):
        fdask.estimate(dd.from_pandas(typed.iloc[:0], npartitions=1), **KW)


def test_the_command_line_estimates_a_file_batch_by_batch_with_the_same_numbers(
    parquet: Path, typed: pd.DataFrame, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from femstat.cli import app

    out = tmp_path / "estimates.csv"
    command = ["estimate", str(parquet), "--by", "year", "--imputations", "4", "--seed", "11"]
    result = CliRunner().invoke(app, [*command, "--min-count", "1", "-o", str(out), "--force"])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    expected = fs.estimate(typed, "year", **KW).astype({"femicide_type": str, "year": int})
    expected = got[["year", "femicide_type"]].merge(expected, how="left")
    assert len(got) >= 9
    for column in ("estimate", "lower", "upper", "bound_lower", "bound_upper"):
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-12)


def _peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_stays_bounded(tmp_path: Path) -> None:
    # The same victims, once and four times over (new ids): the streaming estimate keeps
    # the cube, whose rows do not grow with the file, and one batch.
    n = 12_000
    frame = fs.synth.generate(n, seed=5)
    small, big = tmp_path / "small.parquet", tmp_path / "big.parquet"
    frame.to_parquet(small, index=False)
    copies = []
    for k in range(4):
        copy = frame.copy()
        copy["victim_id"] = copy["victim_id"] + k * n
        copies.append(copy)
    pd.concat(copies, ignore_index=True).to_parquet(big, index=False)
    del copies, frame

    def stream(path: Path) -> Callable[[], object]:
        return lambda: estimate_from_file(
            path, "year", batch_size=4_000, m=2, seed=1, check_unique_ids=False
        )

    stream(small)()  # first calls (imports, compiled kernels) outside the measure
    peaks = {"small": _peak(stream(small)), "big": _peak(stream(big))}
    whole_big = _peak(lambda: fs.estimate(fs.classify(fs.read(big)), "year", m=2, seed=1))
    print({k: f"{v / 2**20:.0f} MiB" for k, v in {**peaks, "whole big": whole_big}.items()})
    assert peaks["big"] < 1.25 * peaks["small"] + 4 * 2**20
    # The measure sees the data: holding the big file whole takes far more.
    assert peaks["big"] < 0.75 * whole_big


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(0, 3_000), max_size=6))
def test_the_cubes_of_any_split_add_up_to_the_cube_of_the_whole(typed, cuts):
    from femstat.estimates import _arguments, _cube_of

    args = _arguments(["year", "area"], covariates=["mechanism", "age_group", "place"])
    whole = _cube_of(typed, args)
    bounds = [0, *sorted(cuts), len(typed)]
    # Parts validated on their own: a free code's categories are those each part holds.
    parts = []
    for start, stop in itertools.pairwise(bounds):
        part = typed.iloc[start:stop].copy()
        part["area"] = part["area"].cat.remove_unused_categories()
        parts.append(_cube_of(part, args))
    merged = merge_cubes(parts)
    pd.testing.assert_frame_equal(merged.frame, whole.frame)
    np.testing.assert_array_equal(merged.weights, whole.weights)
    assert merged.n_records == len(typed)


def test_the_cube_merges_what_the_estimate_does_not_distinguish(typed):
    from femstat.estimates import _arguments, _cube_of

    cube = _cube_of(typed, _arguments("year"))
    frame = cube.frame
    out = (frame["femicide_type"] == "out_of_scope").to_numpy()
    # Out of scope: only the breakdown is counted of them, so one row per year.
    assert out.sum() == frame.loc[out, "year"].nunique()
    assert int(cube.weights[out].sum()) == int((typed["femicide_type"] == "out_of_scope").sum())
    # Relationships by group, ages by age group.
    assert set(frame["relationship"].dropna().astype(str)) <= set(C.RELATIONSHIP_GROUP_OF.values())
    assert set(frame["victim_age"].dropna().astype(int)) <= set(fs.ages.age_scheme("unodc").lower)
    # A breakdown by the detailed relationship keeps it.
    detailed = _cube_of(typed, _arguments("relationship")).frame["relationship"]
    assert "current_partner" in set(detailed.dropna().astype(str))

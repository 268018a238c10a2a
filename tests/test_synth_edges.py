"""synth.generate and synth.population at the edges of every parameter."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import femstat as fs


@pytest.mark.parametrize("share", [0.0, 1.0, 0.999, 0.995, 0.5])
def test_female_share_over_its_whole_range(share: float) -> None:
    data = fs.synth.generate(4_000, seed=5, female_share=share)
    sex = data["victim_sex"].astype(str).value_counts(normalize=True)
    assert sex.get("female", 0.0) == pytest.approx(share, abs=0.03)
    if share == 1.0:
        assert (data["victim_sex"] == "female").all()
    if share == 0.0:
        assert not (data["victim_sex"] == "female").any()
    fs.validate(data, report=True)  # still canonical microdata
    typed = fs.classify(data)
    in_scope = typed["femicide_type"] != "out_of_scope"
    assert in_scope.any() == (share > 0)


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_out_of_scope_iccs_share_at_its_ends(share: float) -> None:
    data = fs.synth.generate(2_000, seed=6, out_of_scope_iccs_share=share)
    intentional = (data["iccs_code"] == "0101").mean()
    assert intentional == pytest.approx(1 - share, abs=1e-12)


def test_default_output_is_unchanged_by_the_checks() -> None:
    data = fs.synth.generate(3_000, seed=8)
    counts = data["victim_sex"].astype(str).value_counts()
    # half a per cent unknown sex, as before: about 15 of 3,000
    assert 5 <= counts["unknown"] <= 30
    assert counts["female"] / 3_000 == pytest.approx(0.2, abs=0.03)


def test_edge_sizes_years_and_areas() -> None:
    assert len(fs.synth.generate(0)) == 0
    assert len(fs.synth.generate(np.int64(3), seed=1)) == 3
    one = fs.synth.generate(50, seed=1, years=(2020, 2020), areas=["A"])
    assert set(one["year"]) == {2020} and set(one["area"]) == {"A"}
    many = fs.synth.generate(500, seed=1, areas=[f"X{i}" for i in range(20)])
    assert many["area"].nunique() > 12
    pop = fs.synth.population(years=(2020, 2020), areas=["A"], total=1)
    assert len(pop) == 1 and pop["population"].iloc[0] == 1


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"female_share": 1.5}, "female_share"),
        ({"female_share": -0.1}, "female_share"),
        ({"female_share": math.nan}, "female_share"),
        ({"female_share": "0.2"}, "female_share"),
        ({"out_of_scope_iccs_share": 1.01}, "out_of_scope_iccs_share"),
        ({"out_of_scope_iccs_share": -1e-9}, "out_of_scope_iccs_share"),
        ({"years": (2024, 2015)}, "years"),
        ({"years": (2015.5, 2020)}, "years"),
        ({"years": (2015,)}, "years"),
        ({"years": "2015"}, "years"),
        ({"years": (0, 40_000)}, "years"),
        ({"areas": []}, "areas"),
        ({"areas": "R01"}, "areas"),
        ({"areas": ["A", "A"]}, "areas"),
        ({"areas": ["A", None]}, "areas"),
    ],
)
def test_invalid_generate_parameters_are_named(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        fs.synth.generate(10, seed=1, **kwargs)


@pytest.mark.parametrize("n", [-1, 2.5, True, "10"])
def test_invalid_sizes_are_named(n: object) -> None:
    with pytest.raises(ValueError, match="n must be"):
        fs.synth.generate(n)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"total": 0}, "total"),
        ({"total": -5}, "total"),
        ({"total": math.inf}, "total"),
        ({"years": (2020, 2019)}, "years"),
        ({"areas": []}, "areas"),
    ],
)
def test_invalid_population_parameters_are_named(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        fs.synth.population(**kwargs)


def test_population_matches_generate_at_the_edges() -> None:
    data = fs.synth.generate(300, seed=2, years=(2019, 2020), areas=["A", "B"], female_share=1)
    pop = fs.synth.population(years=(2019, 2020), areas=["A", "B"])
    table = fs.indicators(data, ["year", "area"], population=pop)
    assert isinstance(table, pd.DataFrame)
    assert table["rate"].notna().any()

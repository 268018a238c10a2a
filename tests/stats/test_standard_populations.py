"""The shipped standard populations: their tables, as published, and the registry."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from femstat.stats import STANDARD_POPULATIONS, StandardPopulation, standard_population


def test_registry_names() -> None:
    assert list(STANDARD_POPULATIONS) == ["who2000", "segi1960", "esp2013"]
    for name, sp in STANDARD_POPULATIONS.items():
        assert sp.name == name
        assert standard_population(name) is sp


@pytest.mark.parametrize(
    ("name", "bands", "last_label", "last_lower", "total"),
    [
        # The WHO table prints "Total 100" (per cent), but its rounded entries add up to
        # 100.035 per cent: 100,035 per 100,000.
        ("who2000", 21, "100+", 100, 100_035),
        ("segi1960", 18, "85+", 85, 100_000),
        ("esp2013", 19, "90+", 90, 100_000),
    ],
)
def test_table_shape_and_totals(
    name: str, bands: int, last_label: str, last_lower: int, total: int
) -> None:
    sp = standard_population(name)
    assert len(sp) == len(sp.labels) == len(sp.lower_ages) == len(sp.weights) == bands
    assert sp.labels[:3] == ("0-4", "5-9", "10-14")
    assert sp.labels[-2:] == (f"{last_lower - 5}-{last_lower - 1}", last_label)
    assert sp.lower_ages == tuple(range(0, last_lower + 1, 5))
    assert sum(sp.weights) == total
    assert_allclose(sp.proportions.sum(), 1.0, rtol=1e-15)
    assert sp.source


def test_esp2013_matches_the_framework_table() -> None:
    # The European Standard Population 2013 as stated in the framework's section on
    # indicators, band by band.
    expected = (
        [5000] + [5500] * 3 + [6000] * 2 + [6500] + [7000] * 4
        + [6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000]
    )  # fmt: skip
    assert list(standard_population("esp2013").weights) == expected


def test_who2000_and_segi_end_points() -> None:
    who = standard_population("who2000")
    assert (who.weights[0], who.weights[5], who.weights[-1]) == (8860, 7930, 5)
    segi = standard_population("segi1960")
    assert (segi.weights[0], segi.weights[-2], segi.weights[-1]) == (12000, 500, 500)


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="'who2000', 'segi1960', 'esp2013'") as info:
        standard_population("us2000")
    assert "us2000" in str(info.value)


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        STANDARD_POPULATIONS["mine"] = standard_population("esp2013")  # type: ignore[index]


def test_instances_are_frozen() -> None:
    sp = standard_population("esp2013")
    with pytest.raises(AttributeError):
        sp.name = "other"  # type: ignore[misc]


def test_custom_standard_population() -> None:
    sp = StandardPopulation("two", ("0-49", "50+"), (0, 50), (3.0, 1.0), "made up")
    assert_allclose(sp.proportions, [0.75, 0.25])


@pytest.mark.parametrize(
    ("labels", "ages", "weights", "message"),
    [
        (("0-4", "5+"), (0,), (1.0, 1.0), "same non-zero length"),
        ((), (), (), "same non-zero length"),
        (("0-4", "5+"), (5, 0), (1.0, 1.0), "must increase"),
        (("0-4", "10+"), (0, 5), (1.0, 1.0), "does not match"),
        (("0-4", "5 plus"), (0, 5), (1.0, 1.0), "does not match"),
        (("0-4", "5+"), (0, 5), (1.0, -1.0), "non-negative"),
        (("0-4", "5+"), (0, 5), (0.0, 0.0), "not all zero"),
        (("0-4", "5+"), (0, 5), (1.0, np.nan), "finite"),
    ],
)
def test_invalid_tables_are_rejected(
    labels: tuple[str, ...], ages: tuple[int, ...], weights: tuple[float, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        StandardPopulation("bad", labels, ages, weights, "test")

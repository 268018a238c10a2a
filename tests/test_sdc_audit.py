"""The attacker's audit: hidden counts worked out from what a release publishes."""

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import femstat as fs
from femstat.disclosure import DisclosureError
from femstat.sdc import audit_disclosure, protect

TYPES = ("intimate_partner", "family_member", "other_perpetrator", "not_femicide", "undetermined")


@cache
def _pool() -> pd.DataFrame:
    return fs.classify(fs.synth.generate(20000, seed=0))


def records(spec: dict[tuple, dict[str, int]], by: tuple[str, ...]) -> pd.DataFrame:
    """Classified records with exactly ``spec[group][type]`` victims per group and type."""
    pool = _pool()
    parts = []
    used = dict.fromkeys(TYPES, 0)
    for group, kinds in spec.items():
        for kind, n in kinds.items():
            rows = pool[pool["femicide_type"] == kind].iloc[used[kind] : used[kind] + n].copy()
            assert len(rows) == n
            used[kind] += n
            for column, value in zip(by, group, strict=True):
                rows[column] = value
            parts.append(rows)
    out = pd.concat(parts, ignore_index=True)
    for column in by:
        if column in pool.columns:
            out[column] = out[column].astype(pool[column].dtype)
    return out


def hidden(audit: pd.DataFrame, table: str, kind: str, **keys) -> pd.Series:
    rows = audit[(audit["table"] == table) & (audit["femicide_type"] == kind)]
    for key, value in keys.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_hidden_type_is_recovered_from_the_female_homicide_total():
    # The example: not_femicide = 123 - 36 - 28 - 16 - 41 = 2.
    data = records(
        {
            ("firearm",): dict(zip(TYPES, (36, 28, 16, 2, 41), strict=True)),
            ("sharp_object",): dict(zip(TYPES, (10, 9, 8, 7, 6), strict=True)),
        },
        ("mechanism",),
    )
    table = fs.suppress(fs.indicators(data, by="mechanism"))
    audit = audit_disclosure({"mechanism": table})
    row = hidden(audit, "mechanism", "not_femicide", mechanism="firearm")
    assert (row["lower"], row["upper"], row["n_values"]) == (2, 2.0, 1.0)
    assert row["small"] and row["exposed"]
    assert not audit.attrs["audit"]["passed"]
    assert audit.attrs["audit"]["n_exposed"] >= 1
    # Nothing of sharp_object is hidden.
    assert not (audit["mechanism"] == "sharp_object").any()


def test_year_by_area_cells_come_back_from_the_margins():
    spec = {
        (2020, "R01"): {"intimate_partner": 3, "family_member": 12},
        (2020, "R02"): {"intimate_partner": 9, "family_member": 2},
        (2021, "R01"): {"intimate_partner": 8, "family_member": 7},
        (2021, "R02"): {"intimate_partner": 6, "family_member": 5},
    }
    data = records(spec, ("year", "area"))
    cube = fs.counts(data, by=["year", "area"])
    tables = {
        "year_area": fs.suppress(cube),
        "year": fs.suppress(fs.counts(data, by=["year"])),
    }
    audit = audit_disclosure(tables)
    for (year, area), kinds in spec.items():
        for kind, n in kinds.items():
            if n < 5:
                row = hidden(audit, "year_area", kind, year=year, area=area)
                assert row["lower"] == n and row["upper"] == n and row["exposed"]
    assert audit.attrs["audit"]["n_exposed"] == 2


def _two_by_two(corner: int) -> dict[str, pd.DataFrame]:
    spec = {
        (2020, "R01"): {"intimate_partner": 3},
        (2020, "R02"): {"intimate_partner": 4},
        (2021, "R01"): {"intimate_partner": 2},
        (2021, "R02"): {"intimate_partner": corner},
    }
    data = records(spec, ("year", "area"))
    return {
        "cells": fs.suppress(fs.counts(data, by=["year", "area"])),
        "year": fs.suppress(fs.counts(data, by=["year"])),
        "area": fs.suppress(fs.counts(data, by=["area"])),
        "total": fs.suppress(fs.counts(data)),
    }


def test_cell_protected_by_a_second_hidden_cell_in_every_relation():
    # Every row and column of the 2x2 holds two hidden cells: the margins
    # 7, 5 (years) and 5, 7 (areas) leave one degree of freedom.
    audit = audit_disclosure(_two_by_two(3))
    cells = audit[audit["table"] == "cells"]
    got = {(r.year, r.area): (r.lower, r.upper) for r in cells.itertuples()}
    assert got == {
        (2020, "R01"): (0, 5.0),
        (2020, "R02"): (2, 7.0),
        (2021, "R01"): (0, 5.0),
        (2021, "R02"): (0, 5.0),
    }
    assert not cells["exposed"].any()
    # The year margin of 2021 (5) is published, so nothing else is hidden.
    assert audit.attrs["audit"] == {
        "passed": True,
        "n_hidden": 4,
        "n_exposed": 0,
        "min_count": 5,
        "protection": None,
    }


def test_a_published_complement_exposes_the_whole_square():
    audit = audit_disclosure(_two_by_two(10))
    cells = audit[audit["table"] == "cells"]
    assert len(cells) == 3
    assert (cells["lower"] == cells["upper"]).all()
    assert cells["exposed"].all()


def test_protection_level_replaces_the_count_of_values():
    tables = _two_by_two(3)
    # Intervals are 5 wide: protected at 5, exposed at 6.
    assert audit_disclosure(tables, protection=5).attrs["audit"]["passed"]
    assert audit_disclosure(tables, protection=6).attrs["audit"]["n_exposed"] == 4
    assert audit_disclosure(tables, min_count=7).attrs["audit"]["n_exposed"] == 4


def test_a_cell_bounded_by_nothing_is_unbounded():
    data = records({(2020,): {"intimate_partner": 3, "family_member": 9}}, ("year",))
    audit = audit_disclosure([fs.suppress(fs.counts(data, by=["year"]))])
    row = hidden(audit, "table_0", "intimate_partner", year=2020)
    assert row["lower"] == 0 and math.isinf(row["upper"]) and math.isinf(row["n_values"])
    assert row["small"] and not row["exposed"]


def test_a_published_share_denominator_is_the_female_homicide_count():
    data = records({("firearm",): dict(zip(TYPES, (9, 8, 7, 6, 5), strict=True))}, ("mechanism",))
    table = fs.suppress(fs.indicators(data, by="mechanism"))
    row_of = (table["femicide_type"] == "female_homicide") & (table["mechanism"] == "firearm")
    table.loc[row_of, "count"] = pd.NA
    table.loc[row_of, "suppressed"] = True
    row = hidden(audit_disclosure({"m": table}), "m", "female_homicide", mechanism="firearm")
    assert row["lower"] == row["upper"] == 35


def test_region_adds_up_to_its_areas_with_a_hierarchy():
    spec = {("R01",): {"intimate_partner": 3}, ("R02",): {"intimate_partner": 10}}
    data = records(spec, ("area",))
    data["region"] = "north"
    tables = {
        "area": fs.suppress(fs.counts(data, by=["area"])),
        "region": fs.suppress(fs.counts(data, by=["region"])),
    }
    without = hidden(audit_disclosure(tables), "area", "intimate_partner", area="R01")
    assert math.isinf(without["upper"])
    tree = pd.DataFrame({"area": ["R01", "R02"], "region": ["north", "north"]})
    with_tree = hidden(
        audit_disclosure(tables, hierarchy=tree), "area", "intimate_partner", area="R01"
    )
    assert with_tree["lower"] == with_tree["upper"] == 3
    same = audit_disclosure(tables, hierarchy={"R01": "north", "R02": "north"})
    assert hidden(same, "area", "intimate_partner", area="R01")["upper"] == 3
    with pytest.raises(DisclosureError, match="not in the hierarchy"):
        audit_disclosure(tables, hierarchy={"R01": "north"})


def test_tables_that_contradict_each_other_are_refused():
    a = records({(2020,): {"intimate_partner": 8}}, ("year",))
    b = records({(2020,): {"intimate_partner": 9}}, ("year",))
    with pytest.raises(DisclosureError, match="same microdata"):
        audit_disclosure([fs.counts(a, by=["year"]), fs.counts(b, by=["year"])])
    with pytest.raises(DisclosureError, match="same microdata"):
        audit_disclosure([fs.counts(a, by=["year"]), fs.counts(b)])


def test_bad_arguments_are_refused():
    table = fs.counts(records({(2020,): {"intimate_partner": 8}}, ("year",)), by=["year"])
    with pytest.raises(DisclosureError, match="min_count"):
        audit_disclosure([table], min_count=0)
    with pytest.raises(DisclosureError, match="protection"):
        audit_disclosure([table], protection=-1)
    with pytest.raises(DisclosureError, match="not a DataFrame"):
        audit_disclosure({"t": table.to_dict()})  # type: ignore[dict-item]
    data = records({(2020,): {"intimate_partner": 8}}, ("year",))
    with pytest.raises(DisclosureError, match="bounds"):
        audit_disclosure([fs.bounds(data, by="year")])


BREAKDOWNS = [(), ("year",), ("area",), ("year", "area"), ("age_group",), ("year", "age_group")]


@st.composite
def releases(
    draw: st.DrawFn,
    *,
    max_rows: int = 400,
    thresholds: tuple[int, int] = (1, 8),
    breakdowns: list[tuple[str, ...]] = BREAKDOWNS,
    max_tables: int = 4,
    **generate: object,
) -> tuple[dict[str, pd.DataFrame], int]:
    """Linked true tables (indicators or cubes) of random synthetic data, and a threshold."""
    n = draw(st.integers(20, max_rows))
    seed = draw(st.integers(0, 2**16))
    min_count = draw(st.integers(*thresholds))
    chosen = draw(st.sets(st.sampled_from(range(len(breakdowns))), min_size=1, max_size=max_tables))
    make = fs.indicators if draw(st.booleans()) else fs.counts
    data = fs.classify(fs.synth.generate(n, seed=seed, **generate))  # type: ignore[arg-type]
    return {f"t{i}": make(data, by=list(breakdowns[i])) for i in sorted(chosen)}, min_count


@pytest.mark.slow
@settings(max_examples=25)
@given(release=releases(years=(2020, 2022)))
def test_the_true_count_always_lies_in_the_audited_interval(release):
    truth, min_count = release
    published = {name: fs.suppress(t, min_count) for name, t in truth.items()}
    audit = audit_disclosure(published, min_count=min_count)
    assert audit.attrs["audit"]["n_hidden"] == sum(
        int(t["count"].isna().sum()) for t in published.values()
    )
    for name, table in truth.items():
        keys = list(table.columns[: list(table.columns).index("femicide_type")])
        rows = audit[audit["table"] == name]
        if rows.empty:
            continue
        merged = rows.merge(
            table[[*keys, "femicide_type", "count"]].astype({"femicide_type": str}),
            on=[*keys, "femicide_type"],
            how="left",
        )
        assert len(merged) == len(rows)
        true = merged["count"].to_numpy(dtype=np.float64)
        assert not np.isnan(true).any()
        assert (merged["lower"] <= true).all() and (true <= merged["upper"]).all()


@settings(max_examples=30)
@given(seed=st.integers(0, 2**16), rows=st.integers(1, 6), cols=st.integers(1, 8))
def test_shortcut_bounds_equal_one_linear_programme_per_bound(seed, rows, cols):
    from scipy import sparse
    from scipy.optimize import linprog

    from femstat.sdc import _block_bounds

    rng = np.random.default_rng(seed)
    a = rng.choice([-1.0, 0.0, 0.0, 1.0], size=(rows, cols))
    a[rng.integers(rows), :] = rng.choice([-1.0, 1.0])  # one relation of one sign
    x = rng.integers(0, 9, size=cols).astype(float)
    b = a @ x
    low, high = _block_bounds(sparse.csr_matrix(a), b)
    for k in range(cols):
        c = np.zeros(cols)
        c[k] = 1.0
        lo = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        assert low[k] == pytest.approx(lo.fun, abs=1e-7)
        assert high[k] == (np.inf if hi.status == 3 else pytest.approx(-hi.fun, abs=1e-7))


def test_male_comparator_rows_add_up_over_groups():
    data = fs.classify(fs.synth.generate(400, seed=5, years=(2020, 2021)))
    cube = fs.counts(data, by=["year"], male_comparator=True)
    total = fs.counts(data, male_comparator=True)
    year_cube = fs.suppress(cube)
    male = cube[cube["femicide_type"] == "male_partner_or_family"]["count"].to_numpy()
    # Hide one year's male comparator as if it were small: the total gives it back.
    hide = (year_cube["femicide_type"] == "male_partner_or_family") & (year_cube["year"] == 2020)
    year_cube["count"] = year_cube["count"].mask(hide)
    year_cube["suppressed"] = year_cube["suppressed"] | hide
    audit = audit_disclosure({"year": year_cube, "total": fs.suppress(total)})
    row = hidden(audit, "year", "male_partner_or_family", year=2020)
    assert row["lower"] == row["upper"] == male[0]


def test_a_table_with_an_identifying_column_is_refused_without_its_values():
    data = records({(2020,): {"intimate_partner": 3}}, ("year",))
    table = fs.counts(data, by=["year"])
    table.insert(0, "victim_id", "V-secret-1")
    with pytest.raises(DisclosureError, match="victim_id") as info:
        audit_disclosure({"t": table})
    assert "V-secret-1" not in str(info.value)
    with pytest.raises(DisclosureError, match="victim_id"):
        protect({"t": table})

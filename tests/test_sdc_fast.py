"""Secondary suppression that protects in few rounds, and the decision audit behind it."""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

import femstat as fs
import femstat.sdc as sdc
from femstat.disclosure import DisclosureError
from femstat.sdc import _block_bounds, audit_disclosure, protect


def _whole_width(low: float, high: float) -> float:
    if math.isinf(high):
        return math.inf
    return math.floor(high + 1e-6) - math.ceil(low - 1e-6)


@settings(max_examples=40)
@given(
    seed=st.integers(0, 2**16),
    rows=st.integers(1, 6),
    cols=st.integers(1, 10),
    need=st.sampled_from([1.0, 2.0, 4.0, 2.5]),
)
def test_a_cell_settled_by_feasible_points_is_judged_as_by_its_exact_bounds(seed, rows, cols, need):
    rng = np.random.default_rng(seed)
    a = rng.choice([-1.0, 0.0, 0.0, 1.0], size=(rows, cols))
    a[rng.integers(rows), :] = 1.0  # a published total over the block
    x = rng.integers(0, 12, size=cols).astype(float)
    b = a @ x
    exact_low, exact_high = _block_bounds(sparse.csr_matrix(a), b)
    low, high = _block_bounds(sparse.csr_matrix(a), b, None, need)
    for k in range(cols):
        # Feasible points lie inside the true interval.
        assert exact_low[k] - 1e-7 <= low[k] <= high[k] <= exact_high[k] + 1e-7
        wide = _whole_width(exact_low[k], exact_high[k]) >= need
        assert (_whole_width(low[k], high[k]) >= need) == wide
        if not wide:
            # A narrow cell gets its exact bounds: whether it is small depends on them.
            assert low[k] == pytest.approx(exact_low[k], abs=1e-7)
            assert high[k] == pytest.approx(exact_high[k], abs=1e-7)


def _dense_release() -> dict:
    # Many small counts in a year x area table whose margins are mostly published: the
    # old rule (the smallest published count of the most hidden relation, one per
    # exposed cell and round) took 15 rounds on a release like this one.
    data = fs.classify(
        fs.synth.generate(12_000, seed=7, areas=[f"A{i:02d}" for i in range(8)], years=(2015, 2019))
    )
    return {
        "year_area": fs.counts(data, by=["year", "area"]),
        "year": fs.counts(data, by=["year"]),
        "area": fs.counts(data, by=["area"]),
        "total": fs.counts(data),
    }


def test_every_exposed_cell_is_protected_in_the_round_that_finds_it():
    truth = _dense_release()
    before = audit_disclosure({k: fs.suppress(t) for k, t in truth.items()})
    assert before.attrs["audit"]["n_exposed"] >= 3
    out = protect(truth)
    info = out["total"].attrs["protection"]
    after = audit_disclosure(out)
    assert after.attrs["audit"]["passed"]
    assert info["audit"] == after.attrs["audit"]
    # A complement set per exposed cell, all at once: a second round only checks them.
    assert info["rounds"] <= 2
    assert info["n_secondary"] >= 1


def test_complements_are_the_cheapest_cells_that_protect_enough():
    # One year x area table of one type with its margins; the cell (2020, R01) = 2 is
    # given away by its row and column. Letting it reach 6 (5 whole values from 2, as
    # min_count asks) takes a rectangle: two cells of its row and column that can give 4
    # and the corner that takes it. The 5s and the 6 cost 16 in all; any rectangle
    # through a 40 or a margin costs more.
    from test_sdc_audit import records

    spec = {
        (2020, "R01"): {"intimate_partner": 2},
        (2020, "R02"): {"intimate_partner": 5},
        (2020, "R03"): {"intimate_partner": 40},
        (2021, "R01"): {"intimate_partner": 5},
        (2021, "R02"): {"intimate_partner": 6},
        (2021, "R03"): {"intimate_partner": 40},
        (2022, "R01"): {"intimate_partner": 40},
        (2022, "R02"): {"intimate_partner": 40},
        (2022, "R03"): {"intimate_partner": 40},
    }
    data = records(spec, ("year", "area"))
    tables = {
        "cells": fs.counts(data, by=["year", "area"]),
        "year": fs.counts(data, by=["year"]),
        "area": fs.counts(data, by=["area"]),
    }
    out = protect(tables)
    cells = out["cells"]
    kind = cells["femicide_type"] == "intimate_partner"
    hidden = {
        (int(r.year), str(r.area)): r.suppression
        for r in cells[kind & cells["count"].isna()].itertuples()
    }
    assert hidden == {
        (2020, "R01"): "primary",
        (2020, "R02"): "secondary",
        (2021, "R01"): "secondary",
        (2021, "R02"): "secondary",
    }
    info = cells.attrs["protection"]
    assert (info["n_secondary"], info["secondary_total"], info["rounds"]) == (3, 16.0, 1)
    row = audit_disclosure(out)
    assert row.attrs["audit"]["passed"]


def test_protect_stops_at_max_rounds_with_a_clear_error(monkeypatch):
    from test_sdc_protect import _mechanism_release

    # A complement rule that never finds anything: the loop must end at max_rounds.
    monkeypatch.setattr(sdc, "_complements", lambda *args, **kwargs: set())
    with pytest.raises(DisclosureError, match=r"after 3 rounds.*larger max_rounds") as info:
        protect(_mechanism_release(), max_rounds=3)
    assert "1 hidden cell(s)" in str(info.value)


def test_the_solver_prints_nothing():
    # HiGHS writes a banner on standard output when its first solver is made; a report
    # or a JSON printed by the command line must not carry it.
    code = (
        "import femstat as fs\n"
        "from femstat.sdc import protect\n"
        "d = fs.classify(fs.synth.generate(300, seed=2, years=(2020, 2021)))\n"
        "t = {'y': fs.counts(d, by=['year']), 'all': fs.counts(d)}\n"
        "protect(t)\n"
        "fs.audit_disclosure({k: fs.suppress(v) for k, v in t.items()})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == ""
    assert "HiGHS" not in done.stderr


@pytest.mark.parametrize("level", [2.5, 6])
def test_a_protection_level_is_met_in_one_round(level):
    truth = _dense_release()
    out = protect(truth, protection=level)
    info = out["total"].attrs["protection"]
    audit = audit_disclosure(out, protection=level)
    assert audit.attrs["audit"]["passed"]
    assert info["audit"] == audit.attrs["audit"]
    assert info["rounds"] <= 2
    hidden = audit[audit["small"]]
    assert ((hidden["upper"] - hidden["lower"]) >= level).all()

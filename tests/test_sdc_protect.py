"""Secondary suppression: after protect, no hidden count can be narrowed by an attacker."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

import femstat as fs
from femstat.disclosure import DisclosureError
from femstat.sdc import audit_disclosure, protect
from test_sdc_audit import TYPES, records, releases


def _mechanism_release():
    data = records(
        {
            ("firearm",): dict(zip(TYPES, (36, 28, 16, 2, 41), strict=True)),
            ("sharp_object",): dict(zip(TYPES, (10, 9, 8, 7, 6), strict=True)),
        },
        ("mechanism",),
    )
    return {
        "indicators": fs.indicators(data, by="mechanism"),
        "cube": fs.counts(data, by=["mechanism"]),
        "total": fs.indicators(data),
    }


def _row(table, kind, mechanism=None):
    rows = table[table["femicide_type"] == kind]
    if mechanism is not None:
        rows = rows[rows["mechanism"] == mechanism]
    assert len(rows) == 1
    return rows.iloc[0]


def test_the_issue_example_is_protected_by_a_complement():
    truth = _mechanism_release()
    assert not audit_disclosure({k: fs.suppress(t) for k, t in truth.items()}).attrs["audit"][
        "passed"
    ]
    out = protect(truth)
    audit = audit_disclosure(out)
    assert audit.attrs["audit"]["passed"]
    info = out["indicators"].attrs["protection"]
    assert info["audit"]["passed"]
    hidden = _row(out["indicators"], "not_femicide", "firearm")
    assert pd.isna(hidden["count"]) and hidden["suppression"] == "primary"
    secondary = out["indicators"][out["indicators"]["suppression"] == "secondary"]
    assert len(secondary) >= 1
    assert secondary["share"].isna().all()
    # The information loss is the distinct secondary cells and their true counts.
    cells = set()
    total = 0
    for name, table in out.items():
        true = truth[name]
        for i in np.flatnonzero(table["suppression"].to_numpy() == "secondary"):
            keys = tuple(table.iloc[i][[c for c in table.columns if c == "mechanism"]])
            cell = (keys, str(table.iloc[i]["femicide_type"]))
            if cell not in cells:
                cells.add(cell)
                total += int(true.iloc[i]["count"])
    assert info["n_secondary"] == len(cells)
    assert info["secondary_total"] == total


def test_a_cell_hidden_as_a_complement_is_hidden_in_every_table():
    out = protect(_mechanism_release())
    for kind in TYPES:
        for mechanism in ("firearm", "sharp_object"):
            a = _row(out["indicators"], kind, mechanism)
            b = _row(out["cube"], kind, mechanism)
            assert pd.isna(a["count"]) == pd.isna(b["count"])
            assert a["suppression"] == b["suppression"]


def test_protect_is_idempotent_and_deterministic():
    truth = _mechanism_release()
    once = protect(truth)
    again = protect(truth)
    twice = protect(once)
    for name in truth:
        pd.testing.assert_frame_equal(once[name], again[name])
        pd.testing.assert_frame_equal(once[name], twice[name])
        for key in ("n_secondary", "secondary_total", "audit"):
            assert twice[name].attrs["protection"][key] == once[name].attrs["protection"][key]
    assert twice["cube"].attrs["protection"]["rounds"] == 0


def test_a_release_with_nothing_to_narrow_is_left_as_primary_suppression():
    data = records({(2020,): {"intimate_partner": 3, "family_member": 9}}, ("year",))
    out = protect({"cube": fs.counts(data, by=["year"])})
    cube = out["cube"]
    assert cube["suppression"].tolist() == ["primary", "", "", "", "", "", ""]
    assert cube["count"].isna().sum() == 1
    assert cube.attrs["protection"]["n_secondary"] == 0
    # Zeros reveal nobody: they stay published.
    assert (cube["count"].iloc[2:6] == 0).all()


def test_protect_refuses_bad_arguments():
    data = records({(2020,): {"intimate_partner": 8}}, ("year",))
    table = fs.counts(data, by=["year"])
    with pytest.raises(DisclosureError, match="max_rounds"):
        protect([table], max_rounds=0)
    with pytest.raises(DisclosureError, match="min_count"):
        protect([table], min_count=0)


@pytest.mark.slow
@settings(max_examples=8)
@given(
    release=releases(
        max_rows=250,
        thresholds=(2, 6),
        breakdowns=[(), ("year",), ("area",), ("year", "area"), ("age_group",)],
        max_tables=3,
        years=(2020, 2021),
        areas=("R01", "R02", "R03"),
    )
)
def test_after_protect_no_hidden_cell_is_exposed(release):
    truth, min_count = release
    out = protect(truth, min_count=min_count)
    audit = audit_disclosure(out, min_count=min_count)
    assert audit.attrs["audit"]["passed"]
    for name, table in out.items():
        # The summary protect states, from the cells it re-judged, is the full audit's.
        assert table.attrs["protection"]["audit"] == audit.attrs["audit"]
        true = truth[name]["count"].to_numpy()
        shown = table["count"]
        # Zeros are never hidden; published counts are the true ones.
        assert not (shown.isna().to_numpy() & (true == 0)).any()
        assert (shown.dropna().to_numpy() == true[shown.notna().to_numpy()]).all()
        reason = table["suppression"].to_numpy()
        assert ((reason != "") == shown.isna().to_numpy()).all()
        assert (true[reason == "primary"] < min_count).all()
        if "share_denominator" in table.columns:
            # A hidden female_homicide has no denominator left on its group's rows.
            assert table.loc[shown.isna().to_numpy(), "share"].isna().all()
            female = table[(table["femicide_type"] == "female_homicide") & shown.isna()]
            keys = list(table.columns[: list(table.columns).index("femicide_type")])
            for _, row in female.iterrows():
                same = (table[keys] == row[keys]).all(axis=1) if keys else True
                group = table[same & (table["femicide_type"] != "male_partner_or_family")]
                assert group["share_denominator"].isna().all()
    again = protect(out, min_count=min_count)
    for name in out:
        pd.testing.assert_frame_equal(again[name], out[name])


def test_benchmark_script_runs_small():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_protect.py"
    done = subprocess.run(
        [sys.executable, str(script), "--areas", "4", "--years", "2", "--rows", "800"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "fs.protect" in done.stdout

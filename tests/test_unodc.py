"""The UNODC export: crosswalk, layout, totals, protection, injection safety and errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import femstat as fs
from femstat import codes as C
from femstat.ages import UNODC_AGE_GROUPS
from femstat.cli import app
from femstat.exports import ExportError, export, format_of, read_metadata
from femstat.unodc import (
    DIMENSIONS,
    MECHANISM_CROSSWALK,
    RELATIONSHIP_CROSSWALK,
    UNODC_COLUMNS,
    to_unodc,
    unodc_frame,
)

UNSPECIFIED = "partner_or_family_unspecified"
TOP_PF = "Intimate partner or family member"
IP = "Intimate partner or family member: Intimate partner"
FM = "Intimate partner or family member: Family member"
REL = DIMENSIONS["relationship"]
MECH = DIMENSIONS["mechanism"]
IN_SCOPE = [t for t in C.FEMICIDE_TYPES if t != "out_of_scope"]
SECRET = "SECRET-VICTIM-7f3a"

# The portal's labels, as its downloadable table spells them (docs/unodc.md gives the
# sources); the crosswalk must produce these and nothing else.
PORTAL_RELATIONSHIP = {
    TOP_PF,
    IP,
    FM,
    "Other Perpetrator known to the victim",
    "Perpetrator unknown to the victim",
    "Perpetrator to victim relationship unknown",
}
PORTAL_MECHANISM = {
    "Firearms or explosives",
    "Firearms or explosives - firearms",
    "Another weapon",
    "Another weapon - sharp object",
    "Without a weapon/ other Mechanism",
    "Unspecified means",
}
PORTAL_AGE = {
    "0-9",
    "10 -14",
    "15 -17",
    "18-19",
    "20-24",
    "25-29",
    "30-44",
    "45-59",
    "60 and older",
    "Age unknown",
}


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    raw = fs.synth.generate(900, seed=11, years=(2022, 2023))
    raw["victim_id"] = [f"{SECRET}-{i}" for i in range(len(raw))]
    return fs.classify(fs.validate(raw))


@pytest.fixture(scope="module")
def open_frame(typed: pd.DataFrame) -> pd.DataFrame:
    """Every count published (min_count=1): the values to check sums on."""
    return unodc_frame(typed, iso3="XYZ", country="Testland", min_count=1)


@pytest.fixture(scope="module")
def protected_frame(typed: pd.DataFrame) -> pd.DataFrame:
    return unodc_frame(typed, iso3="XYZ", country="Testland")


def counts_of(frame: pd.DataFrame, year: str, dimension: str, age: str = "Total") -> pd.Series:
    rows = frame[
        (frame["Year"] == year)
        & (frame["Dimension"] == dimension)
        & (frame["Age"] == age)
        & (frame["Unit of measurement"] == "Counts")
    ]
    return rows.set_index("Category")["VALUE"]


def female_in_scope(typed: pd.DataFrame) -> pd.DataFrame:
    return typed[typed["femicide_type"].astype(str).isin(IN_SCOPE)]


# ----------------------------------------------------------------------------- crosswalk


def test_every_relationship_group_is_mapped() -> None:
    # Fails as soon as a relationship group is added to codes.py without a UNODC category.
    missing = set(C.RELATIONSHIP_GROUP.codes) - set(RELATIONSHIP_CROSSWALK)
    assert not missing
    # The key of the "partner or family member, not known which" group is there whether
    # or not the code list has it yet; nothing else beyond the code list.
    assert set(RELATIONSHIP_CROSSWALK) - set(C.RELATIONSHIP_GROUP.codes) <= {UNSPECIFIED}
    assert RELATIONSHIP_CROSSWALK[UNSPECIFIED] == (TOP_PF, None)


def test_every_fine_relationship_code_reaches_a_category() -> None:
    for code in C.RELATIONSHIP.codes:
        assert C.RELATIONSHIP_GROUP_OF[code] in RELATIONSHIP_CROSSWALK, code


def test_every_mechanism_code_is_mapped() -> None:
    assert set(MECHANISM_CROSSWALK) == set(C.MECHANISM.codes)


def test_every_age_group_is_mapped() -> None:
    assert set(C.UNODC_AGE_LABELS) == set(UNODC_AGE_GROUPS.labels)
    assert set(C.UNODC_AGE_LABELS.values()) == PORTAL_AGE


@pytest.mark.parametrize(
    ("crosswalk", "portal"),
    [(RELATIONSHIP_CROSSWALK, PORTAL_RELATIONSHIP), (MECHANISM_CROSSWALK, PORTAL_MECHANISM)],
)
def test_crosswalk_labels_are_the_portals(crosswalk, portal) -> None:
    labels = {top for top, _ in crosswalk.values()}
    labels |= {sub for _, sub in crosswalk.values() if sub is not None}
    assert labels == portal
    for top, sub in crosswalk.values():
        # A sub-level is named after its top level, as the portal names it.
        assert sub is None or sub.startswith(top)


def test_age_labels_round_trip() -> None:
    groups = pd.Series(list(UNODC_AGE_GROUPS.labels), name="age_group")
    labels = C.to_unodc_labels(groups)
    assert labels.tolist()[:3] == ["0-9", "10 -14", "15 -17"]
    assert C.from_unodc_labels(labels.astype(str), "age_group").tolist() == groups.tolist()


def test_written_categories_map_back_to_codes(open_frame: pd.DataFrame) -> None:
    inverse = {top: code for code, (top, _) in RELATIONSHIP_CROSSWALK.items()}
    inverse |= {sub: code for code, (_, sub) in RELATIONSHIP_CROSSWALK.items() if sub}
    rel = set(open_frame.loc[open_frame["Dimension"] == REL, "Category"])
    assert rel == PORTAL_RELATIONSHIP
    assert {inverse[label] for label in rel} <= set(RELATIONSHIP_CROSSWALK)
    mech = set(open_frame.loc[open_frame["Dimension"] == MECH, "Category"])
    assert mech == PORTAL_MECHANISM
    ages = set(open_frame["Age"]) - {"Total"}
    assert ages == PORTAL_AGE


def doc_table(heading: str) -> list[list[str]]:
    """The rows of the first table under ``heading`` in docs/unodc.md."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "unodc.md").read_text("utf-8")
    lines = text.split(heading, 1)[1].splitlines()
    end = next((i for i, line in enumerate(lines) if line.startswith("#")), len(lines))
    rows = [line for line in lines[:end] if line.startswith("|")][2:]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]


@pytest.mark.parametrize(
    ("heading", "crosswalk"),
    [
        ("### Relationship to the perpetrator", RELATIONSHIP_CROSSWALK),
        ("### Mechanism", MECHANISM_CROSSWALK),
    ],
)
def test_docs_crosswalk_is_the_codes(heading: str, crosswalk) -> None:
    documented = {
        code: (top, None if sub == "(none)" else sub) for code, top, sub in doc_table(heading)
    }
    assert documented == dict(crosswalk)


def test_docs_age_table_is_the_codes() -> None:
    assert dict(doc_table("### Age")) == dict(C.UNODC_AGE_LABELS)


# ----------------------------------------------------------------------------- layout


def test_layout(open_frame: pd.DataFrame) -> None:
    assert tuple(open_frame.columns) == UNODC_COLUMNS
    assert set(open_frame["Indicator"]) == {"Victims of intentional homicide"}
    assert set(open_frame["Sex"]) == {"Female"}
    assert set(open_frame["Dimension"]) == {"Total", REL, MECH}
    assert set(open_frame["Year"]) == {"2022", "2023"}
    assert set(open_frame["Iso3_code"]) == {"XYZ"}
    assert set(open_frame["Unit of measurement"]) == {"Counts"}  # no population, no rates
    assert (open_frame["Suppressed"] == "").all()
    assert all(isinstance(v, int) for v in open_frame["VALUE"])


# ----------------------------------------------------------------------------- totals


@pytest.mark.parametrize("year", ["2022", "2023"])
def test_counts_match_the_records(typed: pd.DataFrame, open_frame: pd.DataFrame, year) -> None:
    female = female_in_scope(typed)
    female = female[female["year"].astype(int) == int(year)]
    total = counts_of(open_frame, year, "Total")["Total"]
    assert total == len(female)
    groups = female["relationship"].astype(str).map(C.RELATIONSHIP_GROUP_OF)
    rel = counts_of(open_frame, year, REL)
    assert rel[IP] == (groups == "intimate_partner").sum()
    assert rel[FM] == (groups == "family_member").sum()
    assert rel["Perpetrator unknown to the victim"] == (groups == "stranger").sum()
    mech = counts_of(open_frame, year, MECH)
    mechanism = female["mechanism"].astype(str)
    assert mech["Firearms or explosives - firearms"] == (mechanism == "firearm").sum()
    assert (
        mech["Another weapon"]
        == mechanism.isin(["sharp_object", "blunt_object", "other_weapon"]).sum()
    )
    ages = UNODC_AGE_GROUPS.cut(female["victim_age"]).astype(str)
    rows = open_frame[(open_frame["Year"] == year) & (open_frame["Age"] != "Total")]
    for _, row in rows.iterrows():
        code = {v: k for k, v in C.UNODC_AGE_LABELS.items()}[row["Age"]]
        assert row["VALUE"] == (ages == code).sum()


@pytest.mark.parametrize("year", ["2022", "2023"])
def test_each_dimension_adds_up_to_the_total(open_frame: pd.DataFrame, year) -> None:
    total = counts_of(open_frame, year, "Total")["Total"]
    ages = open_frame[
        (open_frame["Year"] == year)
        & (open_frame["Age"] != "Total")
        & (open_frame["Unit of measurement"] == "Counts")
    ]
    assert ages["VALUE"].sum() == total
    for dimension, crosswalk in ((REL, RELATIONSHIP_CROSSWALK), (MECH, MECHANISM_CROSSWALK)):
        values = counts_of(open_frame, year, dimension)
        tops = {top for top, _ in crosswalk.values()}
        assert sum(values[t] for t in tops) == total
        for top, sub in crosswalk.values():
            if sub is not None:
                assert values[sub] <= values[top]


def cube_with_unspecified() -> pd.DataFrame:
    """A hand-made cube whose records know only "partner or family member" for some."""
    groups = ["intimate_partner", "family_member", UNSPECIFIED, "other_known", "stranger"]
    counts = {"intimate_partner": 7, "family_member": 6, UNSPECIFIED: 9, "stranger": 8}
    rows = []
    for group in groups:
        for kind in C.FEMICIDE_TYPES:
            n = counts.get(group, 5) if kind == IN_SCOPE[0] else 0
            rows.append(
                {"year": 2024, "relationship_group": group, "femicide_type": kind, "count": n}
            )
    return pd.DataFrame(rows)


def test_top_level_is_the_sum_of_both_sub_levels_and_the_unspecified() -> None:
    frame = unodc_frame(cube_with_unspecified(), min_count=1)
    rel = counts_of(frame, "2024", REL)
    assert rel[IP] == 7
    assert rel[FM] == 6
    assert rel[TOP_PF] == 7 + 6 + 9
    assert rel["Perpetrator to victim relationship unknown"] == 0
    assert counts_of(frame, "2024", "Total")["Total"] == 7 + 6 + 9 + 5 + 8
    assert MECH not in set(frame["Dimension"])  # the cube has no mechanism


def test_records_with_the_unspecified_code_when_the_code_list_has_it(typed) -> None:
    # Runs the records path for the new code once the code list holds it; until then it
    # checks that the records path gives what the cube path gives.
    records = typed.copy()
    if UNSPECIFIED in C.RELATIONSHIP.codes:
        partner = records["relationship"].astype(str) == "current_partner"
        records.loc[partner, "relationship"] = UNSPECIFIED
        records = fs.classify(fs.validate(records.drop(columns=["femicide_type", "criteria_met"])))
    frame = unodc_frame(records, min_count=1)
    cube = fs.counts(records, by=["year", "relationship_group", "mechanism", "age_group"])
    assert frame.equals(unodc_frame(cube, min_count=1))
    for year in ("2022", "2023"):
        rel = counts_of(frame, year, REL)
        assert rel[TOP_PF] >= rel[IP] + rel[FM]
        female = female_in_scope(records)
        female = female[female["year"].astype(int) == int(year)]
        group = female["relationship"].astype(str).map(C.RELATIONSHIP_GROUP_OF)
        assert rel[TOP_PF] == group.isin(["intimate_partner", "family_member", UNSPECIFIED]).sum()


# ----------------------------------------------------------------------------- rates


def test_rates_with_a_population_by_year_and_age(typed: pd.DataFrame) -> None:
    rows = [
        {"year": y, "age_group": a, "population": 100_000.0 + 1000 * i}
        for y in (2022, 2023)
        for i, a in enumerate(UNODC_AGE_GROUPS.known_labels)
    ]
    population = pd.DataFrame(rows)
    frame = unodc_frame(typed, population=population, min_count=1)
    rates = frame[frame["Unit of measurement"] == "Rate per 100,000 population"]
    counts = frame[frame["Unit of measurement"] == "Counts"]
    keys = ["Year", "Dimension", "Category", "Age"]
    both = counts.merge(rates, on=keys, suffixes=("_n", "_r"))
    assert len(both) == len(counts) - 2  # every row but "Age unknown" of each year
    for _, row in both.iterrows():
        if row["Age"] == "Total":
            people = population[population["year"] == int(row["Year"])]["population"].sum()
        else:
            code = {v: k for k, v in C.UNODC_AGE_LABELS.items()}[row["Age"]]
            people = population[
                (population["year"] == int(row["Year"])) & (population["age_group"] == code)
            ]["population"].sum()
        assert row["VALUE_r"] == pytest.approx(row["VALUE_n"] / people * 100_000)


def test_a_split_five_year_band_is_recorded_in_the_metadata(typed: pd.DataFrame) -> None:
    population = fs.datasets.example_population()  # five-year bands: 15-19 straddles 17|18
    by_year_age = population.groupby(["year", "age_group"], as_index=False)["population"].sum()
    years = {int(y) for y in typed["year"].astype(int)}
    by_year_age = by_year_age[by_year_age["year"].astype(int).isin(years)]
    frame = unodc_frame(typed, population=by_year_age, min_count=1)
    recorded = frame.attrs["femstat"]["population"]
    assert recorded["apportioned"] == ["15-19"]
    # The rate of 15-17 has three fifths of the band's women beneath it.
    year = str(min(years))
    women = by_year_age[by_year_age["year"].astype(int) == int(year)].set_index("age_group")
    rows = frame[(frame["Year"] == year) & (frame["Age"] == C.UNODC_AGE_LABELS["15-17"])]
    count = rows.loc[rows["Unit of measurement"] == "Counts", "VALUE"].iloc[0]
    rate = rows.loc[rows["Unit of measurement"] != "Counts", "VALUE"].iloc[0]
    assert rate == pytest.approx(count / (women.loc["15-19", "population"] * 3 / 5) * 100_000)
    # A population already in UNODC's groups records nothing.
    plain = unodc_frame(typed, population=2_000_000.0, min_count=1)
    assert "population" not in plain.attrs["femstat"]


def test_a_year_without_population_is_an_error(typed: pd.DataFrame) -> None:
    population = pd.DataFrame({"year": [2022], "population": [1e6]})
    with pytest.raises(fs.PopulationError, match="2023"):
        unodc_frame(typed, population=population)


def test_rates_are_hidden_with_their_counts(typed: pd.DataFrame) -> None:
    frame = unodc_frame(typed, population=2_000_000.0, min_count=10)
    rates = frame[frame["Unit of measurement"] != "Counts"]
    hidden = rates["Suppressed"] != ""
    assert hidden.any()
    assert rates.loc[hidden, "VALUE"].isna().all()
    assert rates.loc[~hidden, "VALUE"].notna().all()


# ----------------------------------------------------------------------------- protection


def test_small_counts_are_hidden_with_complements(
    open_frame: pd.DataFrame, protected_frame: pd.DataFrame
) -> None:
    assert tuple(open_frame.columns) == tuple(protected_frame.columns)
    keys = ["Year", "Dimension", "Category", "Age", "Unit of measurement"]
    both = open_frame.merge(protected_frame, on=keys, suffixes=("_true", ""))
    assert len(both) == len(open_frame) == len(protected_frame)
    small = both["VALUE_true"].between(1, 4)
    assert small.any()
    # Every small count is withheld, as primary; published values are the true ones.
    assert (both.loc[small, "Suppressed"] == "primary").all()
    assert both.loc[small, "VALUE"].isna().all()
    shown = both["Suppressed"] == ""
    assert (both.loc[shown, "VALUE"] == both.loc[shown, "VALUE_true"]).all()
    assert both.loc[~shown, "VALUE"].isna().all()
    assert (both["Suppressed"] == "secondary").any()
    assert protected_frame.attrs["femstat"]["protection"]["audit"]["passed"]


def test_no_hidden_cell_is_the_only_one_of_its_dimension(protected_frame: pd.DataFrame) -> None:
    # A total published with a single hidden part gives that part by subtraction.
    frame = protected_frame[protected_frame["Unit of measurement"] == "Counts"]
    for year, rows in frame.groupby("Year"):
        total = rows[(rows["Dimension"] == "Total") & (rows["Age"] == "Total")]
        if total["Suppressed"].iloc[0] != "":
            continue
        ages = rows[rows["Age"] != "Total"]
        assert (ages["Suppressed"] != "").sum() != 1, year
        for dimension, crosswalk in ((REL, RELATIONSHIP_CROSSWALK), (MECH, MECHANISM_CROSSWALK)):
            tops = rows[
                (rows["Dimension"] == dimension)
                & rows["Category"].isin({t for t, _ in crosswalk.values()})
            ]
            assert (tops["Suppressed"] != "").sum() != 1, (year, dimension)


def test_protection_is_audited_again_from_the_file(typed, tmp_path: Path) -> None:
    out = to_unodc(typed, tmp_path / "t.unodc.csv", iso3="XYZ")
    meta = read_metadata(out)
    assert meta["format"] == "unodc"
    assert meta["suppression"]["min_count"] == 5
    audit = meta["protection"]["audit"]
    assert audit["passed"] and audit["n_exposed"] == 0 and audit["n_hidden"] > 0


def test_min_count_one_publishes_everything(open_frame: pd.DataFrame) -> None:
    assert open_frame["VALUE"].notna().all()
    assert "without disclosure control" in open_frame.attrs["femstat"]["suppression"]["note"]


# ----------------------------------------------------------------------------- files


def read_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_text_cells_are_neutralised(typed: pd.DataFrame, tmp_path: Path) -> None:
    out = to_unodc(
        typed,
        tmp_path / "x.unodc.csv",
        iso3="=1+2",
        country='=HYPERLINK("http://x","y")',
        region="+cmd",
        subregion="@SUM(A1)",
        source="-2+3",
    )
    cells = read_cells(out)
    assert cells[0] == list(UNODC_COLUMNS)
    for row in cells[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@"), cell
        assert row[0] == "'=1+2"
        assert row[1] == '\'=HYPERLINK("http://x","y")'
        assert row[12] == "'-2+3"


def test_identifiers_never_reach_the_file(typed: pd.DataFrame, tmp_path: Path) -> None:
    out = to_unodc(typed, tmp_path / "ids.unodc.csv")
    text = out.read_text(encoding="utf-8") + out.with_suffix(".metadata.json").read_text()
    assert SECRET not in text


def test_export_dispatch(typed: pd.DataFrame, tmp_path: Path) -> None:
    assert format_of(tmp_path / "t.unodc.csv") == "unodc"
    assert format_of(tmp_path / "t.sdmx.csv") == "sdmx"
    assert format_of(tmp_path / "t.csv") == "csv"
    a = export(typed, tmp_path / "a.unodc.csv", iso3="XYZ")
    b = export(typed, tmp_path / "b.csv", "unodc", iso3="XYZ", metadata={"note": "n"})
    assert a.read_bytes() == b.read_bytes()
    assert read_metadata(b)["note"] == "n"
    assert fs.to_unodc is to_unodc


# ----------------------------------------------------------------------------- errors


def test_year_is_required_without_a_year_column(typed: pd.DataFrame) -> None:
    records = typed.drop(columns=["year"])
    with pytest.raises(ExportError, match="year") as caught:
        unodc_frame(records)
    assert isinstance(caught.value, fs.FemstatError) and isinstance(caught.value, ValueError)
    frame = unodc_frame(records, year=2022, min_count=1)
    assert set(frame["Year"]) == {"2022"}
    assert counts_of(frame, "2022", "Total")["Total"] == len(female_in_scope(typed))
    with pytest.raises(ExportError, match="year="):
        unodc_frame(typed, year=2022)


def test_a_suppressed_table_is_refused(typed: pd.DataFrame) -> None:
    table = fs.suppress(fs.indicators(typed, by=["year"]), 5)
    with pytest.raises(ExportError, match="re-tabulate"):
        unodc_frame(table)
    cube = fs.counts(typed, by=["year", "relationship_group"])
    cube.loc[0, "count"] = np.nan
    with pytest.raises(ExportError, match="1 missing value"):
        unodc_frame(cube)


def test_a_cube_in_another_age_scheme_is_refused(typed: pd.DataFrame) -> None:
    cube = fs.counts(typed, by=["year", "age_group"], age_groups="five_year")
    with pytest.raises(ExportError, match="no UNODC category") as caught:
        unodc_frame(cube)
    assert "'0-4'" in str(caught.value) and "unodc" in str(caught.value)


def test_an_asked_dimension_that_the_data_lack_is_an_error(typed: pd.DataFrame) -> None:
    with pytest.raises(ExportError, match="mechanism"):
        unodc_frame(typed.drop(columns=["mechanism"]), dimensions=["mechanism"])
    with pytest.raises(ExportError, match="not UNODC breakdowns"):
        unodc_frame(typed, dimensions=["place"])
    frame = unodc_frame(typed, dimensions=["relationship"], min_count=1)
    assert set(frame["Dimension"]) == {"Total", REL}
    assert set(frame["Age"]) == {"Total"}


# ----------------------------------------------------------------------------- CLI


def test_cli_writes_the_unodc_layout(tmp_path: Path) -> None:
    victims = tmp_path / "v.csv"
    population = tmp_path / "p.csv"
    fs.datasets.example_victims().head(3000).to_csv(victims, index=False)
    fs.datasets.example_population().to_csv(population, index=False)
    out = tmp_path / "out.csv"
    runner = CliRunner()
    args = ["indicators", str(victims), "-p", str(population), "-o", str(out)]
    result = runner.invoke(app, [*args, "--format", "unodc", "--ref-area", "MEX"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert tuple(frame.columns) == UNODC_COLUMNS
    assert set(frame["Iso3_code"]) == {"MEX"}
    rates = frame[frame["Unit of measurement"] == "Rate per 100,000 population"]
    assert set(rates["Age"]) >= {"Total", "30-44"}  # the population gives ages too
    assert read_metadata(out)["source"] == "v.csv"
    refused = runner.invoke(app, [*args[:-1], str(tmp_path / "o.unodc.csv"), "--by", "area"])
    assert refused.exit_code == 2
    assert "one row per country and year" in refused.output


# ----------------------------------------------------------------------------- property


@st.composite
def small_data(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(20, 120))
    seed = draw(st.integers(0, 2**16))
    raw = fs.synth.generate(n, seed=seed, years=(2021, 2021), female_share=0.6)
    return fs.classify(fs.validate(raw))


@pytest.mark.slow
@settings(max_examples=8)
@given(data=small_data(), min_count=st.sampled_from([1, 3, 5]))
def test_property_published_values_are_true_and_add_up(data: pd.DataFrame, min_count) -> None:
    truth = unodc_frame(data, min_count=1)
    frame = unodc_frame(data, min_count=min_count)
    assert frame.attrs["femstat"]["protection"]["audit"]["passed"]
    shown = frame["Suppressed"] == ""
    assert (frame.loc[shown, "VALUE"] == truth.loc[shown, "VALUE"]).all()
    small = truth["VALUE"].between(1, min_count - 1)
    assert frame.loc[small, "VALUE"].isna().all()
    for year in set(truth["Year"]):
        total = counts_of(truth, year, "Total")["Total"]
        for dimension, crosswalk in ((REL, RELATIONSHIP_CROSSWALK), (MECH, MECHANISM_CROSSWALK)):
            values = counts_of(truth, year, dimension)
            assert sum(values[t] for t in {t for t, _ in crosswalk.values()}) == total
        rel = counts_of(truth, year, REL)
        assert rel[IP] + rel[FM] <= rel[TOP_PF]

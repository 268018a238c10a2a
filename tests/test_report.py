"""The report: files, self-containment, sections, numbers, suppression and privacy."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat import codes as C
from femstat.report import REPORT_STEPS, ReportError, ReportFiles, build_report, population_for

SECRET = "SECRET-NARRATIVE-7f3a"
SECTIONS = [
    "completeness",
    "counts",
    "rates",
    "bounds",
    "estimates",
    "trend",
    "breakdowns",
    "methods",
]
PNG = b"\x89PNG\r\n\x1a\n"


class _Tables(HTMLParser):
    """Every <table> of a page as (caption, rows of cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1] = ("".join(self._caption), self.tables[-1][1])
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return {re.sub(r"^Table \d+\. ", "", caption): rows for caption, rows in parser.tables}


def independent_types(raw: pd.DataFrame) -> pd.Series:
    """The framework's decision procedure written again, row by row, on the raw example."""
    criteria = list(C.CRITERIA)

    def truth(value: object) -> bool | None:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        return str(value).strip().lower() in ("true", "1", "yes")

    def decide(row: pd.Series) -> str:
        if row["victim_sex"] != "female" or str(row["iccs_code"]) != "0101":
            return "out_of_scope"
        group = C.RELATIONSHIP_GROUP_OF[row["relationship"]]
        if group in ("intimate_partner", "family_member"):
            return str(group)
        values = [truth(row[c]) for c in criteria]
        if any(v is True for v in values):
            return "other_perpetrator"
        if group == "unknown" or any(v is None for v in values):
            return "undetermined"
        return "not_femicide"

    return raw.apply(decide, axis=1)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    data = fs.datasets.example_victims()
    # Free text that must never reach a report: a narrative and a note per record.
    data["narrative"] = SECRET + " the victim was found at night"
    data["notes"] = [f"{SECRET}-{i}" for i in range(len(data))]
    return data


@pytest.fixture(scope="module")
def report(raw: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    out = tmp_path_factory.mktemp("report")
    steps: list[str] = []
    files = build_report(
        raw,
        fs.datasets.example_population(),
        out_dir=out,
        source="example.csv",
        level=[0.95, 0.998],
        progress=steps.append,
    )
    assert steps == list(REPORT_STEPS)
    return files


@pytest.fixture(scope="module")
def html(report: ReportFiles) -> str:
    assert report.html is not None
    return report.html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def markdown(report: ReportFiles) -> str:
    assert report.markdown is not None
    return report.markdown.read_text(encoding="utf-8")


def test_files_are_written(report: ReportFiles) -> None:
    files = report
    assert files.html is not None and files.markdown is not None
    assert files.html.name == "report.html"
    assert files.markdown.name == "report.md"
    charts = files.charts
    assert len(charts) == 8  # one per section chart, the estimates included
    for chart in charts:
        assert chart.parent == files.out_dir
        assert chart.read_bytes().startswith(PNG)
    for path in files.paths:
        assert path.exists() and path.stat().st_size > 0
    names = {p.name for p in files.tables}
    assert {"indicators_by_year.csv", "indicators_by_year.metadata.json"} <= names
    assert "indicators_by_year.sdmx.csv" in names


def test_html_is_self_contained(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//|file:)""", html, re.I)
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "@import" not in html and "url(" not in html
    sources = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert len(sources) == 8
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    assert all(re.search(r'<img [^>]*alt="[^"]+"', tag) for tag in re.findall(r"<img [^>]*>", html))
    assert "Content-Security-Policy" in html
    # Every in-page link points to a section that exists.
    for anchor in re.findall(r'href="#([^"]+)"', html):
        assert f'id="{anchor}"' in html


def test_every_section_in_order_completeness_first(html: str, markdown: str) -> None:
    positions = [html.index(f'<section id="{s}">') for s in SECTIONS]
    assert positions == sorted(positions)
    md_positions = [markdown.index(f'<a id="{s}"></a>') for s in SECTIONS]
    assert md_positions == sorted(md_positions)
    for heading in ("By age group", "By mechanism", "By place", "By relationship"):
        assert f"<h3>{heading}</h3>" in html
        assert f"### {heading}" in markdown


def test_counts_match_an_independent_classification(
    raw: pd.DataFrame, html: str, markdown: str
) -> None:
    types = independent_types(raw)
    femicide = int(types.isin(["intimate_partner", "family_member", "other_perpetrator"]).sum())
    female_homicide = int((types != "out_of_scope").sum())
    assert femicide == 2329  # the example data are fixed; guards the independent rule too
    by_type = tables_of(html)["Victims by femicide type, all years"]
    cells = {row[0]: row[1] for row in by_type[1:]}
    assert cells["Femicide (identified)"] == f"{femicide:,}"
    assert cells["Female homicide"] == f"{female_homicide:,}"
    for kind in ("intimate_partner", "family_member", "undetermined", "not_femicide"):
        assert cells[fs.plots.label(kind)] == f"{int((types == kind).sum()):,}"
    assert f"| **Femicide (identified)** | **{femicide:,}** |" in markdown
    share = 100 * femicide / female_homicide
    assert f"{femicide:,} femicides identified among {female_homicide:,}" in html
    assert f"({share:.1f} %)" in html


def test_rates_match_counts_over_population(raw: pd.DataFrame, html: str) -> None:
    types = independent_types(raw)
    population = fs.datasets.example_population()
    rows = tables_of(html)["Rates by year (per 100,000 women)"]
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    assert header[:5] == ["Year", "Femicides", "Femicide rate", "95 % CI", "99.8 % CI"]
    for year in (2015, 2024):
        n = int((types[raw["year"] == year]).isin(list(C.FEMICIDE)).sum())
        pop = population.loc[population["year"] == year, "population"].sum()
        assert body[str(year)][1] == f"{n:,}"
        assert body[str(year)][2] == f"{n / pop * 1e5:.2f}"
        lower, upper = body[str(year)][3].split("–")
        assert float(lower) < n / pop * 1e5 < float(upper)


def test_bounds_and_trend(raw: pd.DataFrame, html: str) -> None:
    types = independent_types(raw)
    femicide = int(types.isin(list(C.FEMICIDE)).sum())
    tables = tables_of(html)
    bounds = next(v for k, v in tables.items() if k.startswith("Bounds of the number"))
    total = bounds[-1]
    assert total[0] == "All years"
    lower, upper = int(total[2].replace(",", "")), int(total[3].replace(",", ""))
    assert lower == femicide
    assert upper == femicide + int((types == "undetermined").sum())
    apc = tables["Annual percent change of the rate (log-linear quasi-Poisson model)"]
    assert [r[0] for r in apc[1:]] == [
        "Femicide (identified)",
        "Intimate partner or family member",
        "Female homicide",
    ]
    assert re.fullmatch(r"[+-]\d+\.\d", apc[1][2])
    assert 'id="chart-trend"' in html


def test_suppressed_cells_are_marked(raw: pd.DataFrame, html: str, markdown: str) -> None:
    types = independent_types(raw)
    scope = types != "out_of_scope"
    cells = pd.crosstab(raw.loc[scope, "mechanism"], types[scope])
    small = [
        (mechanism, kind)
        for mechanism in cells.index
        for kind in cells.columns
        if 0 < cells.loc[mechanism, kind] < 5
    ]
    assert small, "the example has small cells by mechanism"
    rows = tables_of(html)[
        "Mechanism (weapon or means) of the killing: victims by femicide type, all years"
    ]
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    for mechanism, kind in small:
        assert body[fs.plots.label(mechanism)][header.index(fs.plots.label(kind))] == "[c]"
    assert html.count('class="c"') >= len(small)
    assert "\\[c\\]" in markdown  # the mark, as inert Markdown
    assert "counts below 5 and the cells that would reveal them withheld" in html
    assert "every count from 1 to 4 (fewer than 5) is withheld" in html
    # The example: other weapon's not-femicide count was 123 - 36 - 28 - 16 - 41 = 2.
    # A row with a withheld type withholds at least one more of its figures.
    for mechanism, _ in small:
        row = body[fs.plots.label(mechanism)]
        assert row[1:7].count("[c]") >= 2, mechanism


def test_methods_state_rules_levels_threshold_version_source(html: str, markdown: str) -> None:
    methods = html[html.index('<section id="methods">') :]
    for text in (
        "Rule set: UN_2022",
        fs.UN_2022.reference.replace("'", "&#x27;"),
        "Confidence level(s): 95 %, 99.8 %",
        "Wilson score interval (Wilson 1927)",
        "exact Poisson interval from gamma quantiles (Garwood 1936)",
        "Clegg et al. 2009",
        "Fay and Feuer 1997",
        f"femstat {fs.__version__}",
        "Data source: example.csv",
        "Population: ",
    ):
        assert text in methods, text
    assert "Rule set: UN\\_2022" in markdown


def test_no_free_text_anywhere(report: ReportFiles) -> None:
    out = report.out_dir
    files = [p for p in Path(out).rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path.name


def test_markdown_links_the_chart_files(report: ReportFiles, markdown: str) -> None:
    links = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", markdown)
    assert sorted(links) == sorted(p.name for p in report.charts)


def test_values_are_escaped(tmp_path: Path) -> None:
    nasty = '<script>alert("x")</script>|*'
    data = fs.datasets.example_victims()
    data = data[data["year"] >= 2023].copy()
    data["area"] = data["area"].where(data["area"] != "R01", nasty)
    population = population_for(fs.datasets.example_population(), ["year", "area"])
    assert population is not None
    population["area"] = population["area"].where(population["area"] != "R01", nasty)
    files = build_report(data, population, out_dir=tmp_path, tables=False)
    html = files.html.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;|*" in html
    markdown = files.markdown.read_text(encoding="utf-8")
    assert '&lt;script&gt;alert("x")&lt;/script&gt;\\|\\*' in markdown
    assert files.tables == ()


def test_report_without_population(tmp_path: Path) -> None:
    data = fs.datasets.example_victims().head(3000)
    files = build_report(data, out_dir=tmp_path, formats=("html",))
    html = files.html.read_text(encoding="utf-8")
    assert files.markdown is None and files.charts == ()
    assert "No population was given, so no rates are computed" in html
    assert html.count("data:image/png;base64,") == 8
    tables = tables_of(html)
    assert "Rates by year (per 100,000 women)" not in tables
    assert "Bounds of the number of femicides by year" in tables


def test_tiny_data_suppress_almost_everything(tmp_path: Path) -> None:
    data = fs.datasets.example_victims().head(60)
    files = build_report(data, out_dir=tmp_path, min_count=10)
    html = files.html.read_text(encoding="utf-8")
    assert "counts below 10 and the cells that would reveal them withheld" in html
    assert html.count("[c]") > 20
    assert files.summary["count"].isna().any()


def test_user_mistakes(tmp_path: Path) -> None:
    data = fs.datasets.example_victims().head(100)
    with pytest.raises(ReportError, match="min_count"):
        build_report(data, out_dir=tmp_path, min_count=0)
    with pytest.raises(ReportError, match="format"):
        build_report(data, out_dir=tmp_path, formats=("pdf",))
    with pytest.raises(fs.PopulationError, match="'population' column"):
        build_report(data, pd.DataFrame({"year": [2020], "pop": [1]}), out_dir=tmp_path)
    with pytest.raises(ValueError, match="standard"):
        build_report(data, out_dir=tmp_path, standard="nope")
    bad = data.assign(victim_sex="X")
    with pytest.raises(fs.ValidationError):
        build_report(bad, out_dir=tmp_path)


def test_age_standardised_rates_when_the_population_has_the_bands(tmp_path: Path) -> None:
    data = fs.datasets.example_victims()
    data = data[data["year"] >= 2022]
    bands = fs.stats.standard_population("esp2013").labels
    population = pd.DataFrame(
        [(year, band, 200_000) for year in (2022, 2023, 2024) for band in bands],
        columns=["year", "age_group", "population"],
    )
    files = build_report(data, population, out_dir=tmp_path, tables=False)
    html = files.html.read_text(encoding="utf-8")
    tables = tables_of(html)
    key = "Femicide rate by year, age-standardised to the esp2013 standard (per 100,000 women)"
    assert key in tables
    assert [r[0] for r in tables[key][1:]] == ["2022", "2023", "2024"]
    # Five-year bands are summed into UNODC's age groups for the rates by age group; the
    # 15-19 band straddles 15-17 / 18-19 and is shared out by years of age (3/5, 2/5),
    # which the report says.
    assert "Rates by age group not computed" not in html
    assert "the band 15-19 straddles a group boundary" in html
    key = next(k for k in tables if k.startswith("Femicide by age group of the victim"))
    header = tables[key][0]
    rows = {r[0]: r for r in tables[key][1:]}
    rate, count = header.index("Femicide rate"), header.index("Femicides")
    shown = 0
    for group, years_of_age in (("15-17", 3), ("18-19", 2)):
        if rows[group][count] == "[c]":
            continue
        # The group's share of 200,000 in 15-19, over three years of data.
        expected = int(rows[group][count].replace(",", "")) / (200_000 * years_of_age / 5 * 3)
        assert rows[group][rate].split()[0] == f"{expected * 100_000:.2f}"
        shown += 1
    assert shown


def test_population_for_sums_extra_keys() -> None:
    population = fs.datasets.example_population()
    by_year = population_for(population, ["year"])
    assert by_year is not None
    assert list(by_year.columns) == ["year", "population"]
    assert by_year["population"].sum() == population["population"].sum()
    assert population_for(population, ["mechanism"]) is None
    total = population_for(population, [])
    assert total is not None and total["population"].iloc[0] == population["population"].sum()


NASTY = {
    "R01": "[x](javascript:alert(1))",
    "R02": "![](http://evil.example/x.png)",
    "R03": "<script>alert(1)</script>",
    "R04": "a|b|c",
    "R05": "`code` and ``more``",
    "R06": "two\nlines",
    "R07": '=HYPERLINK("http://evil.example","x")',
    "R08": "**bold** _it_ ~~gone~~ # not a heading",
}
"""Area names that are Markdown, HTML or spreadsheet code."""

IDS = "VID-SECRET-5c1e"
EVENTS = "EID-SECRET-2b9d"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    data = fs.datasets.example_victims()
    data = data[data["year"] >= 2023].copy()
    data["victim_id"] = [f"{IDS}-{i}" for i in range(len(data))]
    data["event_id"] = [f"{EVENTS}-{i // 2}" for i in range(len(data))]
    data["area"] = data["area"].replace(NASTY)
    population = population_for(fs.datasets.example_population(), ["year", "area"])
    assert population is not None
    population["area"] = population["area"].replace(NASTY)
    return build_report(
        data,
        population,
        out_dir=tmp_path_factory.mktemp("hostile"),
        source="[src](javascript:alert(2)) <b>x</b>",
        title="Report ![](http://evil.example/t.png)",
    )


def test_markdown_from_data_is_inert(hostile: ReportFiles) -> None:
    assert hostile.markdown is not None
    markdown = hostile.markdown.read_text(encoding="utf-8")
    # The only links and images are the report's own: contents anchors and chart files.
    targets = re.findall(r"(?<!\\)\[(?:[^\]\\]|\\.)*(?<!\\)\]\(([^)]*)\)", markdown)
    assert targets
    assert all(t.startswith("#") or re.fullmatch(r"chart-[a-z]+\.png", t) for t in targets)
    assert "javascript:" in markdown  # still there as text, escaped
    assert "<script" not in markdown and "<b>" not in markdown
    assert "&lt;script&gt;" in markdown
    assert "two lines" in markdown  # a line break in a label cannot end a table row
    for block in re.findall(r"(?:^\|.*\|$\n?)+", markdown, flags=re.MULTILINE):
        lines = block.strip().splitlines()
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
        assert len(widths) == 1, lines  # every row has the header's cells
    assert "\\`code\\`" in markdown and "\\*\\*bold\\*\\*" in markdown
    assert "\\~\\~gone\\~\\~" in markdown


def test_html_from_data_is_escaped(hostile: ReportFiles) -> None:
    assert hostile.html is not None
    html = hostile.html.read_text(encoding="utf-8")
    assert "<script" not in html and "<b>x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"href=\"(?!#)", html)
    assert re.findall(r"<img src=\"([a-z]+):", html) == ["data"] * html.count("<img ")


def test_no_identifier_reaches_any_file(hostile: ReportFiles) -> None:
    assert hostile.tables
    for path in hostile.paths:
        content = path.read_bytes()
        assert IDS.encode() not in content, path.name
        assert EVENTS.encode() not in content, path.name
    assert not any(fs.schemas.is_sensitive(c) for c in hostile.summary.columns)


def test_published_tables_are_injection_safe(hostile: ReportFiles) -> None:
    by_area = hostile.out_dir / "tables" / "indicators_by_area.csv"
    areas = set(pd.read_csv(by_area, keep_default_na=False)["area"])
    assert "'" + NASTY["R07"] in areas
    assert NASTY["R07"] not in areas


def _small(values: pd.Series | np.ndarray, min_count: int = 5) -> np.ndarray:
    rounded = np.round(np.asarray(values, dtype=float))
    return (rounded > 0) & (rounded < min_count)


@pytest.fixture(scope="module")
def small_area(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    """The report of one small area: few victims a year, small undetermined counts."""
    data = fs.datasets.example_victims()
    data = data[data["area"] == "R12"]
    population = population_for(fs.datasets.example_population(), ["year", "area"])
    assert population is not None
    population = population[population["area"] == "R12"]
    out = tmp_path_factory.mktemp("small_area")
    return build_report(data, population, out_dir=out, formats=("html",))


def test_published_tables_reveal_no_hidden_count(small_area: ReportFiles) -> None:
    folder = small_area.out_dir / "tables"
    bounds = pd.read_csv(folder / "bounds_by_year.csv")
    for name, values in {
        "female_homicide": bounds["female_homicide"],
        "lower": bounds["lower"],
        "upper": bounds["upper"],
        "undetermined": bounds["upper"] - bounds["lower"],
        "not femicide": bounds["female_homicide"] - bounds["upper"],
        "lower from its share": bounds["lower_share"] * bounds["female_homicide"],
    }.items():
        assert not _small(values).any(), name
    for name in ("completeness_overall", "completeness_by_year"):
        table = pd.read_csv(folder / f"{name}.csv")
        for column in table.columns:
            if column.endswith("_unknown") or column == "undetermined":
                assert not _small(table[column] * table["female_homicide"]).any(), column
    for path in folder.glob("indicators_*.csv"):
        if path.name.endswith(".sdmx.csv"):
            continue
        table = pd.read_csv(path)
        assert not _small(table["count"]).any(), path.name
        assert not _small(table["share"] * table["share_denominator"]).any(), path.name
    trend = pd.read_csv(folder / "trend.csv")
    assert trend.loc[trend["count"].isna(), "apc"].isna().all()


def test_trend_of_a_small_series_hides_its_apc(tmp_path: Path) -> None:
    data = fs.datasets.example_victims()
    data = data[data["area"] == "R12"]
    population = population_for(fs.datasets.example_population(), ["year", "area"])
    assert population is not None
    population = population[population["area"] == "R12"]
    typed = fs.classify(fs.validate(data))
    femicides = int(typed["femicide_type"].isin(C.FEMICIDE).sum())
    # The femicide series (all years together) falls below the threshold.
    files = build_report(data, population, out_dir=tmp_path, min_count=femicides + 1)
    trend = pd.read_csv(tmp_path / "tables" / "trend.csv").set_index("of")
    assert pd.isna(trend.loc["femicide", "count"])
    assert trend.loc["femicide", ["apc", "apc_lower", "apc_upper"]].isna().all()
    assert trend.loc[trend["count"].isna(), "apc"].isna().all()
    assert files.html is not None
    html = files.html.read_text(encoding="utf-8")
    rows = tables_of(html)["Annual percent change of the rate (log-linear quasi-Poisson model)"]
    femicide = next(row for row in rows if row[0] == fs.plots.label("femicide"))
    assert femicide[2:] == ["[c]", "[c]"]


def test_records_without_an_area_are_named_not_dropped(tmp_path: Path) -> None:
    # An empty area is missing (docs/validation-rules.md): a table by area cannot place
    # those records, so the report says so instead of failing or inventing an area.
    raw = fs.datasets.example_victims()
    raw.loc[:3, "area"] = ""
    files = build_report(raw, fs.datasets.example_population(), out_dir=tmp_path / "r")
    markdown = files.markdown.read_text(encoding="utf-8")
    assert "Rates by area not computed: breakdown column 'area' has 4 missing value(s)" in (
        markdown
    )
    assert "Rates by year" in markdown


# --------------------------------------------------------------------------- linked tables


def _written_counts(files: ReportFiles) -> dict[str, pd.DataFrame]:
    """The count tables of a report as a reader gets them: from its CSV files."""
    folder = files.out_dir / "tables"
    return {
        path.stem: pd.read_csv(path, dtype={"area": str, "year": "Int64"})
        for path in sorted(folder.glob("indicators_*.csv"))
        if not path.name.endswith(".sdmx.csv")
    }


def test_release_passes_the_attackers_audit(small_area: ReportFiles) -> None:
    tables = _written_counts(small_area)
    assert {"indicators_overall", "indicators_by_year", "indicators_by_mechanism"} <= set(tables)
    audit = fs.audit_disclosure(tables, min_count=5)
    assert audit.attrs["audit"]["passed"], audit[audit["exposed"]]
    reasons = pd.concat([t["suppressed"] for t in tables.values()]).fillna("")
    assert (reasons == "primary").sum() > 0
    assert (reasons == "secondary").sum() > 0
    meta = fs.exports.read_metadata(small_area.out_dir / "tables" / "indicators_by_year.csv")
    control = meta["disclosure_control"]
    assert control["min_count"] == 5
    assert control["audit"]["passed"] is True
    # Each breakdown is written once: the secondary cells of the files are the release's.
    assert control["n_secondary"] == (reasons == "secondary").sum()
    assert "indicators_by_mechanism" in control["protected_tables"]


def test_primary_suppression_alone_would_have_disclosed(small_area: ReportFiles) -> None:
    """The same tables with small counts hidden and nothing else: the audit fails."""
    typed = fs.classify(fs.validate(_area_r12()[0]))
    primary = {
        "overall": fs.suppress(fs.indicators(typed), 5),
        "by_year": fs.suppress(fs.indicators(typed, by="year"), 5),
        "by_mechanism": fs.suppress(fs.indicators(typed, by="mechanism"), 5),
    }
    assert not fs.audit_disclosure(primary).attrs["audit"]["passed"]


def _area_r12() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = fs.datasets.example_victims()
    data = data[data["area"] == "R12"]
    population = population_for(fs.datasets.example_population(), ["year", "area"])
    assert population is not None
    return data, population[population["area"] == "R12"]


def test_derived_tables_withhold_what_the_release_withholds(small_area: ReportFiles) -> None:
    folder = small_area.out_dir / "tables"
    by_year = pd.read_csv(folder / "indicators_by_year.csv")
    withheld = {
        (int(r["year"]), str(r["femicide_type"]))
        for _, r in by_year.iterrows()
        if pd.isna(r["count"])
    }
    assert any(kind in ("femicide", "undetermined") for _, kind in withheld)
    bounds = pd.read_csv(folder / "bounds_by_year.csv")
    for _, row in bounds.iterrows():
        year = int(row["year"])
        if (year, "femicide") in withheld:
            assert pd.isna(row["lower"]) and pd.isna(row["lower_share"]), year
        if {(year, "femicide"), (year, "undetermined")} & withheld:
            assert pd.isna(row["upper"]) and pd.isna(row["upper_rate"]), year
        if (year, "female_homicide") in withheld:
            assert pd.isna(row["female_homicide"]), year
    completeness = pd.read_csv(folder / "completeness_by_year.csv")
    for _, row in completeness.iterrows():
        if (int(row["year"]), "undetermined") in withheld:
            assert pd.isna(row["undetermined"]), row["year"]
    # A trend is fitted to every year: a series with a withheld year has no APC.
    trend = pd.read_csv(folder / "trend.csv").set_index("of")
    for series in trend.index:
        if any(kind == series for _, kind in withheld):
            assert trend.loc[series, ["apc", "apc_lower", "apc_upper"]].isna().all(), series


def test_completeness_items_by_year_keep_their_complements(small_area: ReportFiles) -> None:
    """An item's yearly counts add up to all years: never a single withheld year."""
    folder = small_area.out_dir / "tables"
    by_year = pd.read_csv(folder / "completeness_by_year.csv")
    female = by_year["female_homicide"]
    checked = 0
    for column in by_year.columns:
        if not column.endswith("_unknown"):
            continue
        hidden = by_year[column].isna() & female.fillna(1).gt(0)
        assert hidden.sum() != 1, column
        checked += int(hidden.sum() > 0)
    assert checked > 0


def test_standardised_rates_withhold_with_the_release(tmp_path: Path) -> None:
    data, _ = _area_r12()
    bands = fs.stats.standard_population("esp2013").labels
    population = pd.DataFrame(
        [(year, band, 20_000) for year in range(2015, 2025) for band in bands],
        columns=["year", "age_group", "population"],
    )
    files = build_report(data, population, out_dir=tmp_path, formats=("markdown",))
    folder = tmp_path / "tables"
    by_year = pd.read_csv(folder / "indicators_by_year.csv")
    femicide = by_year[by_year["femicide_type"] == "femicide"].set_index("year")["count"]
    standardised = pd.read_csv(folder / "standardised_by_year.csv").set_index("year")
    assert femicide.isna().any(), "the example area should withhold a year's femicides"
    for year in femicide.index[femicide.isna()]:
        assert standardised.loc[year, ["count", "rate", "crude_rate"]].isna().all(), year
    unknown_hidden = standardised["count_unknown_age"].isna()
    assert unknown_hidden.sum() != 1
    assert standardised.loc[unknown_hidden, "count"].isna().all()
    assert files.markdown is not None


def test_min_count_one_publishes_everything_and_says_so(tmp_path: Path) -> None:
    data, population = _area_r12()
    files = build_report(data, population, out_dir=tmp_path, min_count=1)
    assert files.summary["count"].notna().all()
    assert files.html is not None
    html = files.html.read_text(encoding="utf-8")
    assert "every count published (min_count 1, no disclosure control)" in html
    assert "Disclosure control: none" in html
    meta = fs.exports.read_metadata(tmp_path / "tables" / "indicators_by_year.csv")
    assert meta["disclosure_control"]["min_count"] == 1
    assert "without disclosure control" in meta["disclosure_control"]["method"]
    assert pd.read_csv(tmp_path / "tables" / "indicators_by_year.csv")["count"].notna().all()


def test_rate_ratios_by_area(raw: pd.DataFrame, html: str, report: ReportFiles) -> None:
    tables = tables_of(html)
    key = next(k for k in tables if k.startswith("Femicide rate of each area compared with"))
    reference = key.split("compared with ")[1].split(",")[0]
    population = population_for(fs.datasets.example_population(), ["area"])
    assert population is not None
    largest = population.sort_values("population", ascending=False)["area"].iloc[0]
    assert reference == largest
    expected = fs.rate_ratios(
        fs.classify(fs.validate(raw)), by="area", population=population, reference=reference
    ).set_index("area")
    rows = {r[0]: r for r in tables[key][1:]}
    assert set(rows) == set(expected.index.astype(str))
    for area, row in rows.items():
        assert row[3] == f"{expected.loc[area, 'rate_ratio']:.2f}"
    written = pd.read_csv(report.out_dir / "tables" / "rate_ratios_by_area.csv")
    assert len(written) == len(expected)


def test_estimates_lie_between_the_bounds(raw: pd.DataFrame, html: str) -> None:
    tables = tables_of(html)
    rows = tables["Femicide (identified): bounds and estimate by year (number of victims)"]
    bounds = fs.bounds(fs.classify(fs.validate(raw)), by="year").set_index("year")
    assert [int(r[0]) for r in rows[1:]] == bounds.index.tolist()
    for row in rows[1:]:
        year = int(row[0])
        lower, estimate, upper = (int(row[i].replace(",", "")) for i in (1, 2, 4))
        assert (lower, upper) == (bounds.loc[year, "lower"], bounds.loc[year, "upper"])
        assert lower <= estimate <= upper
        low, high = (float(x.replace(",", "")) for x in row[3].split("–"))
        assert low <= estimate <= high
    assert 'id="chart-estimates"' in html
    assert "m = 20 imputations, seed 2022" in html


def test_estimates_withhold_with_the_release(small_area: ReportFiles) -> None:
    folder = small_area.out_dir / "tables"
    by_year = pd.read_csv(folder / "indicators_by_year.csv")
    estimates = pd.read_csv(folder / "estimates_by_year.csv")
    withheld = {
        (int(r["year"]), str(r["femicide_type"]))
        for _, r in by_year.iterrows()
        if pd.isna(r["count"])
    }
    checked = 0
    for _, row in estimates.iterrows():
        year, kind = int(row["year"]), str(row["femicide_type"])
        if (year, kind) in withheld or (year, "undetermined") in withheld:
            assert row[["estimate", "lower", "upper", "bound_upper"]].isna().all(), (year, kind)
            checked += 1
        if (year, kind) in withheld:
            assert pd.isna(row["bound_lower"])
    assert checked > 0


def test_estimates_are_reproducible_and_can_be_left_out(tmp_path: Path) -> None:
    data, population = _area_r12()
    first = build_report(data, population, out_dir=tmp_path / "a", formats=("html",))
    build_report(data, population, out_dir=tmp_path / "b", formats=("html",))
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "a" / "tables" / "estimates_by_year.csv"),
        pd.read_csv(tmp_path / "b" / "tables" / "estimates_by_year.csv"),
    )
    assert first.html is not None
    none = build_report(data, population, out_dir=tmp_path / "c", imputations=0)
    assert none.html is not None
    assert "Not computed: the report was made without imputations." in none.html.read_text(
        encoding="utf-8"
    )
    assert not (tmp_path / "c" / "tables" / "estimates_by_year.csv").exists()
    with pytest.raises(ReportError, match="imputations"):
        build_report(data, population, out_dir=tmp_path / "d", imputations=1)


def test_a_release_that_fails_the_audit_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If secondary suppression ever failed, the audit before writing would refuse."""
    data, population = _area_r12()

    def primary_only(tables: dict[str, pd.DataFrame], min_count: int) -> dict[str, pd.DataFrame]:
        return {name: fs.suppress(t, min_count) for name, t in tables.items()}

    monkeypatch.setattr(fs, "protect", primary_only)
    with pytest.raises(ReportError, match="refusing to write the report"):
        build_report(data, population, out_dir=tmp_path, imputations=0)
    assert not (tmp_path / "report.html").exists()
    assert not (tmp_path / "tables").exists()

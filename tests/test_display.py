"""femstat's result tables and report in Jupyter (femstat.display)."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import femstat as fs
from femstat.display import MARK, is_result_table, register, style, to_html, unregister
from femstat.report import ReportFiles, population_for

MIN_COUNT = 10


@pytest.fixture(scope="module")
def typed() -> pd.DataFrame:
    return fs.classify(fs.validate(fs.datasets.example_victims().head(3000)))


@pytest.fixture(scope="module")
def protected(typed: pd.DataFrame) -> pd.DataFrame:
    pop = population_for(fs.datasets.example_population(), ["year"])
    table = fs.indicators(typed, by="year", population=pop)
    return fs.protect({"by_year": table}, min_count=MIN_COUNT)["by_year"]


def _body_rows(page: str) -> list[list[str]]:
    """The cell texts of each body row of a Styler's HTML table."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)
    return [
        [html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.DOTALL)]
        for r in rows
    ]


def _header(page: str) -> list[str]:
    head = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return [html.unescape(c).strip() for c in re.findall(r"<th[^>]*>(.*?)</th>", head, re.DOTALL)]


def test_protected_indicators_show_units_marks_and_the_method_note(
    protected: pd.DataFrame,
) -> None:
    assert protected["suppressed"].any() and not protected["suppressed"].all()
    page = to_html(protected)
    header = _header(page)
    assert "rate (per 100,000 women, a year)" in header
    assert "share (%)" in header
    assert "population (women)" in header
    assert "suppressed" not in header  # the [c] marks say it
    rows = _body_rows(page)
    assert len(rows) == len(protected)
    visible = [c for c in protected.columns if c != "suppressed"]
    for (_, row), cells in zip(protected.iterrows(), rows, strict=True):
        shown = dict(zip(visible, cells, strict=True))
        for column in ("count", "share", "share_lower", "rate", "rate_upper", "reliable"):
            withheld = bool(row["suppressed"]) and (
                column in ("count", "reliable") or row["femicide_type"] != "out_of_scope"
            )
            assert (shown[column] == MARK) == withheld, (column, shown)
        if not row["suppressed"]:
            assert shown["count"] == f"{int(row['count']):,}"
            # out_of_scope has no share: "–", not a withheld value.
            share = "–" if pd.isna(row["share"]) else f"{row['share'] * 100:.1f}"
            assert shown["share"] == share
        # Populations are published in every row (out_of_scope has none).
        population = "–" if pd.isna(row["population"]) else f"{int(row['population']):,}"
        assert shown["population"] == population
    # The method note: interval methods, what shares are of, the rule set, the threshold.
    note = html.unescape(page.split('class="femstat-note"', 1)[1])
    assert "Wilson score interval" in note
    assert "exact Poisson interval" in note
    assert "of female homicide victims" in note
    assert "rule set UN_2022" in note
    assert f"counts from 1 to {MIN_COUNT - 1}" in note
    assert f"{protected.attrs['protection']['n_secondary']} more cells" in note


def test_a_withheld_value_is_never_written(protected: pd.DataFrame) -> None:
    # Put the true counts back into the withheld rows, as a careless edit might: the
    # display still withholds them.
    leaky = protected.copy()
    hidden = leaky["suppressed"].to_numpy(dtype=bool)
    secret = 7_654_321
    leaky.loc[hidden, "count"] = secret
    page = to_html(leaky)
    assert f"{secret:,}" not in page and str(secret) not in page
    cells = [r[2] for r in _body_rows(page)]  # year, femicide_type, count
    assert [c == MARK for c in cells] == list(hidden)


def test_counts_have_thousands_separators_and_rates_the_report_decimals() -> None:
    table = pd.DataFrame(
        {
            "year": [2020, 2021],
            "femicide_type": ["intimate_partner", "intimate_partner"],
            "count": [12_345, 20],
            "population": [25_000_000.0, 25_100_000.0],
            "rate": [49.38, 0.0797],
            "share": [0.6237, np.nan],
        }
    )
    table.attrs["femstat"] = {"levels": [0.95], "rate_method": "exact", "per": 100_000}
    rows = _body_rows(to_html(table))
    assert rows[0] == ["2020", "intimate_partner", "12,345", "25,000,000", "49.38", "62.4"]
    # Below 0.1 a rate gets three decimals; a missing share with no suppression is "–".
    assert rows[1] == ["2021", "intimate_partner", "20", "25,100,000", "0.080", "–"]


def test_cell_text_and_headers_are_escaped() -> None:
    table = pd.DataFrame({"area": ["<script>alert(1)</script>"], "count": [3]})
    table.attrs["femstat_cube"] = {"breakdown": ["area"], "rules": {"name": "UN_2022"}}
    page = to_html(table)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_identifiers_are_never_shown() -> None:
    table = pd.DataFrame({"victim_id": ["V-SECRET-1"], "count": [3]})
    table.attrs["femstat"] = {"levels": [0.95]}
    assert "V-SECRET-1" not in to_html(table)


def test_style_returns_a_styler_that_exports_the_note(protected: pd.DataFrame) -> None:
    styler = style(protected)
    assert isinstance(styler, pd.io.formats.style.Styler)
    page = styler.to_html()
    assert "Femicide indicators" in page and "Wilson score interval" in page
    assert fs.styled is style
    # The table itself is not changed.
    assert protected["count"].isna().sum() == protected["suppressed"].sum()


def test_a_plain_frame_keeps_the_pandas_display() -> None:
    from femstat.display import _formatter

    plain = pd.DataFrame({"a": [1.5, np.nan], "b": ["x", "y"]})
    assert not is_result_table(plain)
    assert _formatter(plain) == plain._repr_html_()
    assert not is_result_table([1, 2])


def test_the_formatter_registers_in_an_ipython_shell(protected: pd.DataFrame) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert register(shell)
        formatter = shell.display_formatter.formatters["text/html"]
        data, _ = shell.display_formatter.format(protected)
        assert "femstat-note" in data["text/html"]
        assert MARK in data["text/html"]
        plain = pd.DataFrame({"a": [1, 2]})
        assert formatter(plain) == plain._repr_html_()
    finally:
        unregister(shell)
        InteractiveShell.clear_instance()
    data, _ = shell.display_formatter.format(protected)
    assert "femstat-note" not in data.get("text/html", "")


def test_import_inside_ipython_registers_without_loading_pandas() -> None:
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "import sys\n"
        "shell = InteractiveShell.instance()\n"
        "import femstat\n"
        "assert 'pandas' not in sys.modules or 'pandas' in before\n"
        "html = shell.display_formatter.formatters['text/html']\n"
        "assert ('pandas', 'DataFrame') in html.deferred_printers\n"
        "import pandas as pd\n"
        "frame = pd.DataFrame({'count': [3]})\n"
        "frame.attrs['femstat'] = {'levels': [0.95]}\n"
        "assert 'femstat-note' in shell.display_formatter.format(frame)[0]['text/html']\n"
        "print('ok')\n"
    )
    code = "import sys\nbefore = set(sys.modules)\n" + code
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_report_files_show_the_report_inline(tmp_path: Path) -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Femicide &amp; homicide report</title>"
        '<style>body { color: red }</style></head><body><p class="x">"quoted"</p></body></html>'
    )
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    files = ReportFiles(
        out_dir=tmp_path,
        html=tmp_path / "report.html",
        markdown=None,
        charts=(),
        tables=(),
        summary=pd.DataFrame(),
    )
    shown = files._repr_html_()
    assert "<strong>Femicide &amp; homicide report</strong>" in shown
    assert shown.count("<iframe") == 1 and 'sandbox=""' in shown
    # The page sits escaped in srcdoc: no style sheet or tag of it leaks into the notebook.
    srcdoc = re.search(r'srcdoc="([^"]*)"', shown)
    assert srcdoc is not None and html.unescape(srcdoc[1]) == page
    assert "<style>" not in shown and "<body>" not in shown


def test_the_built_report_shows_inline(tmp_path: Path) -> None:
    data = fs.datasets.example_victims().head(400)
    files = fs.build_report(data, out_dir=tmp_path, tables=False, formats=("html",))
    shown = files._repr_html_()
    title = re.search(r"<title>(.*?)</title>", files.html.read_text(encoding="utf-8"))[1]
    assert f"<strong>{title}</strong>" in shown
    assert "<iframe" in shown and "Content-Security-Policy" in html.unescape(shown)


def test_a_table_suppressed_cell_by_cell_marks_only_the_withheld_cells(
    typed: pd.DataFrame,
) -> None:
    pop = population_for(fs.datasets.example_population(), ["year", "age_group"])
    table = fs.suppress(fs.age_standardised_rates(typed, by="year", population=pop), 30)
    # A year whose unknown-age count is small is marked, but its own count is published.
    partial = table["suppressed"].to_numpy(dtype=bool) & table["count"].notna().to_numpy()
    assert partial.any()
    page = to_html(table)
    header = _header(page)
    count, unknown = header.index("count"), header.index("count_unknown_age")
    for (_, row), cells in zip(table.iterrows(), _body_rows(page), strict=True):
        for column, at in (("count", count), ("count_unknown_age", unknown)):
            value = row[column]
            assert cells[at] == (MARK if pd.isna(value) else f"{int(value):,}")
    assert "direct standardisation to the esp2013 standard" in page


def test_completeness_shares_are_percentages(typed: pd.DataFrame) -> None:
    table = fs.completeness(typed, by="year")
    frame_html = style(table).to_html()
    header = _header(frame_html)
    rows = _body_rows(frame_html)
    at = header.index("undetermined (%)")
    assert rows[0][at] == f"{table['undetermined'].iloc[0] * 100:.1f}"
    assert rows[0][header.index("female_homicide")] == f"{int(table['female_homicide'].iloc[0]):,}"

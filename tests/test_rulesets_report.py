"""The report section "UN statistical count and national legal count", its chart and
the ``--rules`` option of ``femstat report``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import femstat as fs
from femstat.cli import app
from femstat.rulesets import COMPARISON_COLUMNS

runner = CliRunner()
SECTION = "UN statistical count and national legal count"


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    # Few records, so that the section has small counts to withhold.
    return fs.datasets.example_victims().head(400)


@pytest.fixture(scope="module")
def report(small: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> fs.report.ReportFiles:
    out = tmp_path_factory.mktemp("report")
    return fs.build_report(
        small,
        out_dir=out,
        rules=["MEX_CPF_325", "ARG_CP_80", fs.rule_set("BRA_CP_121A")],
        imputations=0,
        formats=("markdown",),
    )


def published(report: fs.report.ReportFiles, name: str) -> pd.DataFrame:
    return pd.read_csv(report.out_dir / "tables" / f"{name}.csv")


def test_the_section_table_and_chart_are_written(report):
    text = report.markdown.read_text(encoding="utf-8")
    assert SECTION in text
    for name in ("UN\\_2022", "MEX\\_CPF\\_325", "ARG\\_CP\\_80", "BRA\\_CP\\_121A"):
        assert f"| {name} |" in text or f"| **{name}** |" in text
    assert "Código Penal Federal" in text  # the legal reference is cited
    assert any(p.name == "chart-rule-sets.png" for p in report.charts)
    table = published(report, "rule_sets_comparison")
    assert table["rule_set"].tolist() == ["UN_2022", "MEX_CPF_325", "ARG_CP_80", "BRA_CP_121A"]


def test_the_section_agrees_with_compare_rule_sets_where_it_publishes(report, small):
    table = published(report, "rule_sets_comparison").set_index("rule_set")
    full = fs.compare_rule_sets(small, ["MEX_CPF_325", "ARG_CP_80", "BRA_CP_121A"])
    full = full.set_index(full["rule_set"].astype(str))
    shown = table[list(COMPARISON_COLUMNS)].notna()
    assert shown.to_numpy().any()
    for name in table.index:
        for column in COMPARISON_COLUMNS:
            if shown.loc[name, column]:
                assert table.loc[name, column] == full.loc[name, column], (name, column)


def test_no_published_number_of_the_section_is_a_small_count(report):
    table = published(report, "rule_sets_comparison")
    values = table[list(COMPARISON_COLUMNS)].to_numpy(dtype=float)
    shown = values[~np.isnan(values)]
    assert not ((shown > 0) & (shown < 5)).any()
    # ... and something is withheld on this small frame: the protection did work
    assert np.isnan(values).any()
    for name in ("MEX_CPF_325", "ARG_CP_80", "BRA_CP_121A"):
        cube = published(report, f"rule_set_{name}")
        counts = cube["count"].to_numpy(dtype=float)
        assert not ((counts > 0) & (counts < 5)).any()


def test_a_sum_over_a_withheld_cell_is_withheld():
    from femstat.rulesets import comparison_from_cross

    mex = fs.rule_set("MEX_CPF_325")
    cube = pd.DataFrame(
        {
            mex.type_column: pd.Categorical(
                ["intimate_partner", "intimate_partner", "not_femicide"],
                categories=list(mex.types),
            ),
            "femicide_type": pd.Categorical(
                ["intimate_partner", "undetermined", "other_perpetrator"],
                categories=list(fs.codes.FEMICIDE_TYPES),
            ),
            "count": pd.array([40, None, 7], dtype="Int64"),
        }
    )
    table = comparison_from_cross({mex.name: cube}, [fs.UN_2022, mex]).set_index("rule_set")
    assert pd.isna(table.loc["MEX_CPF_325", "femicide"])  # 40 + withheld
    assert pd.isna(table.loc["MEX_CPF_325", "only_this_rule_set"])  # the withheld one
    assert table.loc["MEX_CPF_325", "counted_by_both"] == 40
    assert table.loc["MEX_CPF_325", "only_un"] == 7
    assert table.loc["UN_2022", "femicide"] == 47
    assert pd.isna(table.loc["UN_2022", "undetermined"])


def test_the_chart_does_not_draw_a_withheld_number():
    from femstat.plots import rule_set_chart

    table = pd.DataFrame(
        {
            "rule_set": ["UN_2022", "MEX_CPF_325"],
            **{c: pd.array([10, 20], dtype="Int64") for c in COMPARISON_COLUMNS},
        }
    )
    table.loc[1, "family_member"] = pd.NA
    fig = rule_set_chart(table)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("[c]") == 1
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths.count(0.0) == 1  # the withheld bar is drawn empty
    assert [t.get_text() for t in ax.get_yticklabels()] == ["UN_2022", "MEX_CPF_325"]


@pytest.mark.slow
def test_cli_report_with_rules(tmp_path: Path):
    out = tmp_path / "r"
    result = runner.invoke(
        app,
        ["report", "--rules", "MEX_CPF_325, ESP_DGVG_2022", "-o", str(out), "--imputations", "0"],
    )
    assert result.exit_code == 0, result.output
    assert SECTION in (out / "report.md").read_text(encoding="utf-8")
    table = pd.read_csv(out / "tables" / "rule_sets_comparison.csv")
    assert table["rule_set"].tolist() == ["UN_2022", "MEX_CPF_325", "ESP_DGVG_2022"]


@pytest.mark.slow
def test_cli_report_with_a_rule_set_file(tmp_path: Path):
    own = Path(fs.__file__).parent / "rulesets" / "BRA_CP_121A.toml"
    mine = tmp_path / "mine.toml"
    mine.write_text(
        own.read_text(encoding="utf-8").replace('"BRA_CP_121A"', '"MINE"'), encoding="utf-8"
    )
    out = tmp_path / "r"
    result = runner.invoke(
        app, ["report", "--rules", str(mine), "-o", str(out), "--imputations", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "MINE" in (out / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "message"),
    [("MEX", "no rule set named"), (" , ", "--rules is empty"), ("absent.toml", "absent.toml")],
)
def test_cli_report_refuses_bad_rules_in_one_line(tmp_path: Path, value: str, message: str):
    result = runner.invoke(app, ["report", "--rules", value, "-o", str(tmp_path / "r")])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_report_without_rules_has_no_section(small, tmp_path: Path):
    files = fs.build_report(small.head(100), out_dir=tmp_path, imputations=0, formats=("markdown",))
    assert SECTION not in files.markdown.read_text(encoding="utf-8")
    assert not (tmp_path / "tables" / "rule_sets_comparison.csv").exists()

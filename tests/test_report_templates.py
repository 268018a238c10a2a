"""The report's page layout in Jinja2 templates, in every language.

The renderers of :mod:`femstat.report` hand the assembled sections to
``templates/report.html.j2`` and ``templates/report.md.j2``; these tests render them in
each language with undefined names failing, check the ``lang`` attribute, the escaping of
data in HTML and Markdown, and that ``report.py`` no longer writes the page's tags itself.
"""

from __future__ import annotations

import html
import re
from importlib import resources
from pathlib import Path

import jinja2
import pytest

import femstat as fs
from femstat import i18n, report
from femstat.report import _Bullets, _Cell, _Figure, _Heading, _Section, _Table

NASTY = '<script>alert("x")</script>|*_[link](javascript:x)'

# A 1x1 PNG: the figure's bytes only need to survive base64.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def _sections(label: str = "Intimate partner") -> list[_Section]:
    table = _Table(
        caption=f"Victims by area ({label})",
        header=["Area", "Victims", "Share"],
        rows=[
            [_Cell(label), _Cell("12", "num"), _Cell("[c]", "c")],
            [_Cell("R02"), _Cell("8", "num"), _Cell("40.0%", "u")],
            [_Cell("Total"), _Cell("20", "num"), _Cell("100.0%", "num")],
        ],
        total_rows={2},
        note=f"Note on {label}.",
        number=1,
    )
    figure = _Figure("chart-typology", f"Bars of {label}", f"Victims: {label}", PNG, number=1)
    return [
        _Section("counts", f"Counts of {label}", [f"A paragraph on {label}.", table, figure]),
        _Section(
            "methods",
            "Methods",
            [_Heading(f"About {label}"), _Bullets([f"item {label}", "item two"])],
        ),
    ]


def _render(tag: str, label: str = "Intimate partner", withheld: bool = True) -> tuple[str, str]:
    args = (f"Report on {label}", [f"Data: {label}."], [f"Key: {label}"], _sections(label))
    with i18n.language(tag):
        return (
            report._render_html(*args, withheld=withheld),
            report._render_markdown(*args, withheld=withheld),
        )


CHROME = {
    "en": ("Table 1.", "Figure 1.", "Contents", "Key figures", "Notation:"),
    "es": ("Cuadro 1.", "Gráfico 1.", "Contenido", "Cifras clave", "Notación:"),
    "fr": ("Tableau 1.", "Figure 1.", "Sommaire", "Chiffres clés", "Signes conventionnels"),
    "pt": ("Tabela 1.", "Figura 1.", "Sumário", "Números principais", "Notação:"),
}


@pytest.mark.parametrize("tag", ["en", "es", "fr", "pt", "es-MX", "pt-BR"])
def test_the_templates_render_in_every_language(tag: str) -> None:
    page, md = _render(tag)
    words = CHROME[tag.split("-")[0]]
    for word in words:
        assert word in page, word
        assert word in md, word
    if not tag.startswith("en"):
        for english in CHROME["en"][2:]:
            assert english not in page and english not in md
    # The page's structure is the same in every language.
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")
    assert page.count("<section ") == 2 and page.count("<table>") == 1
    assert page.count('<tr class="total">') == 1 and page.count("<figure ") == 1
    assert md.count('<a id="') == 2 and "## 2. Methods" in md


@pytest.mark.parametrize(
    ("tag", "attribute"), [("en", "en"), ("es-MX", "es-MX"), ("pt_BR", "pt-BR"), ("fr", "fr")]
)
def test_html_lang_is_the_bcp47_tag_in_use(tag: str, attribute: str) -> None:
    page, _ = _render(tag)
    assert f'<html lang="{attribute}">' in page


def test_undefined_names_fail_instead_of_printing_nothing() -> None:
    env = report._environment()
    assert env.undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("report.html.j2").render(title="t")


def test_the_environment_is_built_once() -> None:
    assert report._environment() is report._environment()


def test_the_stylesheet_is_inline_and_nothing_loads_from_outside() -> None:
    page, _ = _render("es")
    css = resources.files("femstat").joinpath("templates", "report.css").read_text("utf-8")
    assert f"<style>\n{css}</style>" in page
    assert "default-src 'none'; img-src data:; style-src 'unsafe-inline'" in page
    assert re.findall(r'<img src="([a-z]+):', page) == ["data"]
    assert "<link" not in page and "<script" not in page


@pytest.mark.parametrize("tag", ["en", "fr"])
def test_data_stays_escaped_in_html(tag: str) -> None:
    page, _ = _render(tag, NASTY)
    assert "<script" not in page
    escaped = html.escape(NASTY, quote=True)
    # Title, meta, key figure, contents, heading, paragraph, caption, cell, note, figure
    # alt and caption, bullet: every place a text from the data goes.
    assert page.count(escaped) >= 12
    assert 'alt="Bars of &lt;script&gt;alert(&quot;x&quot;)' in page


@pytest.mark.parametrize("tag", ["en", "es"])
def test_markdown_of_a_label_with_pipes_and_stars_stays_a_table(tag: str) -> None:
    _, md = _render(tag, "a|b*c _d_ `e`\nf")
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert len(rows) == 5  # header, alignment, three rows
    widths = {len(re.findall(r"(?<!\\)\|", line)) for line in rows}
    assert widths == {4}, rows
    assert "| a\\|b\\*c \\_d\\_ \\`e\\` f | 12 | [c] |".replace("[c]", "\\[c\\]") in md
    assert rows[1] == "| --- | ---: | ---: |"
    assert rows[4].startswith("| **Total** |")
    assert "<script" not in _render(tag, NASTY)[1]


def test_the_legend_of_c_only_when_something_is_withheld() -> None:
    for tag, mark in (("en", "[c] withheld"), ("es", "[c] reservado")):
        page, md = _render(tag, withheld=True)
        assert mark in page and mark.replace("[c]", "\\[c\\]") in md
        page, md = _render(tag, withheld=False)
        assert "[c]" not in page.split("<footer>")[1]
        assert "\\[c\\]" not in md.split("---\n")[-1]


@pytest.mark.parametrize(
    "sentence",
    ["7 victims: [c] (fewer than 5).", "7 víctimas: [c] (menos de 5).", "[c] (moins de 5)"],
)
def test_a_withheld_count_in_a_sentence_is_seen_in_any_language(sentence: str) -> None:
    assert report._withholds_anything([_Section("s", "S", [sentence])])
    assert report._withholds_anything([_Section("s", "S", [_Bullets([sentence])])])


def test_a_sentence_explaining_the_mark_is_not_a_withheld_count() -> None:
    assert not report._withholds_anything(
        [_Section("s", "S", ["Both are marked [c]; the tables say which.", "Sums ([c])."])]
    )


def test_report_py_builds_no_page_tags() -> None:
    """The page layout lives in the templates: report.py writes no HTML tag of its own."""
    source = Path(report.__file__).read_text(encoding="utf-8")
    tags = re.findall(
        r"""["'][^"'\n]*<(html|head|body|main|header|nav|section|footer|table|caption|thead"""
        r"""|tbody|tr|th|td|figure|figcaption|img|ul|ol|li|p|h[1-6]|style|meta|title|div)\b""",
        source,
    )
    assert tags == []


def test_a_spanish_report_end_to_end(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    data = fs.synth.generate(60, seed=3)
    with i18n.language("es-MX"):
        files = fs.build_report(data, out_dir=tmp_path, imputations=0, tables=False)
    assert files.html is not None and files.markdown is not None
    page = files.html.read_text(encoding="utf-8")
    md = files.markdown.read_text(encoding="utf-8")
    assert '<html lang="es-MX">' in page
    assert '<nav aria-label="Contenido"><h2>Contenido</h2>' in page
    assert "## Contenido" in md and "Cuadro 1." in md
    assert "Gráfico 1." in page

"""The report in Spanish, French and Portuguese: words translated, figures unchanged.

The default report (bundled example data and population) is built once per language. A
translation may change every word of the report but never a figure: the numbers of every
table, read back from the locale's notation, equal the English report's, and the withheld
cells ``[c]`` are the same cells. The published CSV tables stay the English contract.

Charts are drawn by :mod:`femstat.plots` (tested on their own); here they are replaced by
a placeholder image, so that four full reports fit in the time of one: their captions and
alternative texts, written by the report, are still checked.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import femstat as fs
from femstat import i18n
from femstat import report as report_module
from femstat.report import ReportFiles, build_report

LANGS = ("es", "fr", "pt")
PNG_PLACEHOLDER = b"\x89PNG\r\n\x1a\nplaceholder"

# Section headings of the default report, per language (as the catalogues translate them).
HEADINGS = {
    "en": [
        "Data completeness",
        "Counts by femicide type",
        "Rates per 100,000 women",
        "Bounds",
        "Estimates with uncertainty",
        "Trend",
        "Breakdowns",
        "Methods and metadata",
    ],
    "es": [
        "Completitud de los datos",
        "Conteos por tipo de feminicidio",
        "Tasas por 100 000 mujeres",
        "Cotas",
        "Estimaciones con incertidumbre",
        "Tendencia",
        "Desagregaciones",
        "Métodos y metadatos",
    ],
    "fr": [
        "Exhaustivité des données",
        "Décomptes par type de féminicide",
        "Taux pour 100 000 femmes",
        "Bornes",
        "Estimations avec incertitude",
        "Tendance",
        "Ventilations",
        "Méthodes et métadonnées",
    ],
    "pt": [
        "Completude dos dados",
        "Contagens por tipo de feminicídio",
        "Taxas por 100 mil mulheres",
        "Limites",
        "Estimativas com incerteza",
        "Tendência",
        "Desagregações",
        "Métodos e metadados",
    ],
}

# Sentences and phrases of the English report that must not survive translation.
ENGLISH = [
    "Female homicide victims",
    "female homicide victims",
    "Victims by femicide type",
    "Each female homicide victim has exactly one type",
    "could not be classified",
    "Information unknown among",
    "Validation raised no data-quality warnings",
    "Rates are victims per 100,000",
    "Age-standardised rates",
    "The lower bound counts the femicides",
    "The bounds say only that",
    "Annual percent change",
    "confidence interval",
    "confidence band",
    "all years",
    "Disclosure control",
    "Produced with femstat",
    "Published tables",
    "Rule set:",
    "Data source:",
    "per 100,000 women",
    "women and girls were killed",
    "Femicide rate in",
    "Lower bound",
    "Upper bound",
    "Age group",
    "Estimates with uncertainty:",
    "Stacked bar chart",
    "Line chart of",
]

# (grouping, decimal mark) of each language's default locale (CLDR).
NOTATION = {"en": (",", "."), "es": (".", ","), "fr": ("\u202f\u00a0", ","), "pt": (".", ",")}


def _placeholder_chart(stem: str, alt: str, caption: str, draw: Callable[[], Any]) -> Any:
    return report_module._Figure(stem, alt, caption, PNG_PLACEHOLDER)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ReportFiles]]:
    data = fs.datasets.example_victims()
    population = fs.datasets.example_population()
    built: dict[str, ReportFiles] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_module, "_chart", _placeholder_chart)
        for lang in ("en", *LANGS):
            built[lang] = build_report(
                data,
                population,
                out_dir=tmp_path_factory.mktemp(f"report-{lang}"),
                imputations=2,
                formats=("html",),
                # The tables are the same in every language: written for two only.
                tables=lang in ("en", "es"),
                lang=lang,
            )
    yield built


def _page(files: ReportFiles) -> str:
    assert files.html is not None
    return files.html.read_text(encoding="utf-8")


def _text(files: ReportFiles) -> str:
    """The page's text and images' alternative texts: tags dropped, entities read.

    Runs of ASCII white space become one space; no-break spaces (digit grouping) stay.
    """
    page = re.sub(r"<style>.*?</style>", " ", _page(files), flags=re.S)
    alts = " ".join(re.findall(r'alt="([^"]*)"', page))
    text = html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + alts)
    return re.sub(r"[ \t\r\n]+", " ", text)


class _Cells(HTMLParser):
    """Every table of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(files: ReportFiles) -> list[list[list[str]]]:
    parser = _Cells()
    parser.feed(_page(files))
    return parser.tables


def _numbers(text: str, lang: str) -> list[float]:
    """The numbers written in a cell, read back from the language's notation."""
    group, decimal = NOTATION[lang]
    pattern = rf"[+\-\u2212]?\d+(?:[{re.escape(group)}]\d{{3}})*(?:{re.escape(decimal)}\d+)?"
    values = []
    for token in re.findall(pattern, text):
        plain = token.replace("\u2212", "-")
        for mark in group:
            plain = plain.replace(mark, "")
        values.append(float(plain.replace(decimal, ".")))
    return values


def _marks(text: str) -> tuple[bool, bool, bool]:
    return ("[c]" in text, "[u]" in text, text == "–")


def test_unknown_language_is_refused_before_any_work(tmp_path: Path) -> None:
    steps: list[str] = []
    out = tmp_path / "never"
    for tag in ("de", "zz", "", "english"):
        with pytest.raises(i18n.LanguageError) as info:
            build_report(pd.DataFrame(), out_dir=out, lang=tag, progress=steps.append)
        message = str(info.value)
        assert all(code in message for code in ("es", "fr", "pt")), message
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, fs.FemstatError)
    # Refused before validating, classifying or creating the folder.
    assert steps == []
    assert not out.exists()


@pytest.mark.parametrize("lang", LANGS)
def test_headings_are_translated(reports: dict[str, ReportFiles], lang: str) -> None:
    text = _text(reports[lang])
    for heading in HEADINGS[lang]:
        assert heading in text, heading


@pytest.mark.parametrize("lang", LANGS)
def test_no_english_sentence_is_left(reports: dict[str, ReportFiles], lang: str) -> None:
    english = _text(reports["en"])
    text = _text(reports[lang])
    # The list is checked against the English report, so that it cannot go stale.
    assert [phrase for phrase in ENGLISH if phrase not in english] == []
    left = [phrase for phrase in ENGLISH if phrase in text]
    assert left == []
    headings = re.findall(r"<h[23][^>]*>(.*?)</h[23]>", _page(reports[lang]))
    words = {re.sub(r"^\d+\.\s*", "", html.unescape(h)) for h in headings}
    assert not words & set(HEADINGS["en"])


@pytest.mark.parametrize("lang", LANGS)
def test_counts_use_the_locale_grouping(reports: dict[str, ReportFiles], lang: str) -> None:
    records = len(fs.datasets.example_victims())
    summary = reports["en"].summary
    female = int(summary.loc[summary["femicide_type"] == "female_homicide", "count"].iloc[0])
    assert records >= 10_000 and female >= 1_000
    group = {"es": ".", "fr": "\u202f", "pt": "."}[lang]
    text = _text(reports[lang])
    for count in (records, female):
        english = f"{count:,}"
        assert english.replace(",", group) in text
    # The counts table's cell of female homicide, in the locale's notation.
    cells = {c for table in _tables(reports[lang]) for row in table for c in row}
    assert f"{female:,}".replace(",", group) in cells
    assert f"{female:,}" not in cells


@pytest.mark.parametrize("lang", LANGS)
def test_translation_never_changes_a_figure(reports: dict[str, ReportFiles], lang: str) -> None:
    english, translated = _tables(reports["en"]), _tables(reports[lang])
    assert len(translated) == len(english) > 10
    compared = 0
    for number, (en_table, table) in enumerate(zip(english, translated, strict=True), start=1):
        assert len(table) == len(en_table), f"table {number}"
        for en_row, row in zip(en_table, table, strict=True):
            assert len(row) == len(en_row), f"table {number}"
            for en_cell, cell in zip(en_row, row, strict=True):
                assert _numbers(cell, lang) == _numbers(en_cell, "en"), (number, en_cell, cell)
                assert _marks(cell) == _marks(en_cell), (number, en_cell, cell)
                compared += len(_numbers(en_cell, "en"))
    assert compared > 500


@pytest.mark.parametrize("lang", LANGS)
def test_references_are_found_in_every_language(reports: dict[str, ReportFiles], lang: str) -> None:
    # Citations stay as published inside translated sentences, so the list is the same.
    def cited(files: ReportFiles) -> list[str]:
        page = _page(files)
        return [full for _, full in report_module._REFERENCES if html.escape(full) in page]

    english = cited(reports["en"])
    assert len(english) >= 8
    assert cited(reports[lang]) == english


def test_published_tables_stay_the_english_contract(reports: dict[str, ReportFiles]) -> None:
    en, es = reports["en"], reports["es"]
    csvs = {p.name: p for p in en.tables if p.name.endswith(".csv")}
    assert csvs and {p.name for p in es.tables if p.name.endswith(".csv")} == set(csvs)
    for path in es.tables:
        if path.name.endswith(".csv"):
            # Column names, codes and plain numbers: the same bytes in every language.
            assert path.read_bytes() == csvs[path.name].read_bytes(), path.name
    sidecars = [p for p in es.tables if p.name.endswith(".metadata.json")]
    assert sidecars
    for path in sidecars:
        assert json.loads(path.read_text(encoding="utf-8"))["report_language"] == "es"
    english = next(p for p in en.tables if p.name.endswith(".metadata.json"))
    assert json.loads(english.read_text(encoding="utf-8"))["report_language"] == "en"


def test_region_gives_number_formats_and_language_words(tmp_path: Path) -> None:
    # es-MX: Spanish words, Mexican digits (12,345.6); the metadata keep the full tag.
    data = fs.synth.generate(2_500, seed=11, female_share=0.6)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_module, "_chart", _placeholder_chart)
        files = build_report(data, out_dir=tmp_path, imputations=0, lang="es-MX")
    text = _text(files)
    assert "Completitud de los datos" in text
    assert f"{len(data):,}" in text
    sidecar = next(p for p in files.tables if p.name.endswith(".metadata.json"))
    assert json.loads(sidecar.read_text(encoding="utf-8"))["report_language"] == "es_MX"


def test_withheld_count_in_a_sentence_is_marked_in_every_language(tmp_path: Path) -> None:
    # Three records out of scope: their count is written "[c] (menos de 5)" in a sentence,
    # and the header line says that counts are withheld, in Spanish.
    data = fs.synth.generate(300, seed=2, female_share=1.0, out_of_scope_iccs_share=0.0)
    data.loc[data.index[:3], "iccs_code"] = "0102"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_module, "_chart", _placeholder_chart)
        files = build_report(data, out_dir=tmp_path, imputations=0, tables=False, lang="es")
    text = _text(files)
    assert "[c] (menos de 5)" in text
    assert "suprimidos ([c])" in text
    assert "(ninguno en este informe)" not in text


def test_a_withheld_count_in_a_sentence_is_recorded_in_any_language() -> None:
    # The legend of [c] and the header line depend on it; the English marker "[c] (fewer
    # than" cannot be searched for in a translated page.
    from types import SimpleNamespace

    for lang in ("en", *LANGS):
        ctx = SimpleNamespace(min_count=5, hidden=lambda n: 0 < n < 5, text_withheld=False)
        with i18n.language(lang):
            shown = report_module._count_text(ctx, 1234)  # type: ignore[arg-type]
            assert not ctx.text_withheld
            hidden = report_module._count_text(ctx, 3)  # type: ignore[arg-type]
        assert ctx.text_withheld, lang
        assert hidden.startswith("[c] (") and "5" in hidden and "3" not in hidden
        assert shown == {"en": "1,234", "es": "1.234", "fr": "1\u202f234", "pt": "1.234"}[lang]

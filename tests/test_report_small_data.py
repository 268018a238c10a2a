"""The default report on small data: no blank chart, an honest legend, cited references.

A chart that would be empty is left out with a sentence saying why (in HTML and
Markdown); the ``[c]`` legend appears only when something is withheld; ``min_count 1``
says that every count is published; every reference is cited and every citation listed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

import femstat as fs
from femstat.report import ReportFiles, build_report

pytest.importorskip("matplotlib")

# The charts of a report without population, imputations or national rule sets.
_CHARTS = {
    "chart-completeness",
    "chart-typology",
    "chart-trend",
    "chart-age",
    "chart-mechanism",
    "chart-place",
    "chart-relationship",
}


def _report(data: pd.DataFrame, out: Path, **options: object) -> ReportFiles:
    return build_report(data, out_dir=out, imputations=0, tables=False, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return _report(fs.synth.generate(30, seed=3), tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def no_mechanism(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    data = fs.synth.generate(400, seed=5, female_share=0.5).drop(columns=["mechanism", "place"])
    return _report(data, tmp_path_factory.mktemp("nomech"))


@pytest.fixture(scope="module")
def every_count(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    return _report(fs.synth.generate(30, seed=3), tmp_path_factory.mktemp("one"), min_count=1)


def _texts(files: ReportFiles) -> tuple[str, str]:
    assert files.html is not None and files.markdown is not None
    return files.html.read_text(encoding="utf-8"), files.markdown.read_text(encoding="utf-8")


def _plain_markdown(md: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", md))


def _left_out(md: str) -> list[str]:
    return [line for line in _plain_markdown(md).splitlines() if line.startswith("No chart of ")]


def _notation(md: str) -> str:
    return next(line for line in _plain_markdown(md).splitlines() if line.startswith("Notation:"))


def test_every_chart_is_drawn_or_explained(small: ReportFiles) -> None:
    page, md = _texts(small)
    drawn = {p.stem for p in small.charts}
    left_out = _left_out(md)
    # 30 records with a threshold of 5: some charts have nothing to show.
    assert left_out, "30 records should leave a chart out"
    assert len(drawn) + len(left_out) == len(_CHARTS)
    for sentence in left_out:
        assert "it would be empty" in sentence
        assert html.escape(sentence, quote=False) in page
    for stem in drawn:
        assert f'id="{stem}"' in page and f"({stem}.png)" in md
    for stem in _CHARTS - drawn:
        assert f'id="{stem}"' not in page and f"({stem}.png)" not in md


def test_absent_mechanism_and_place_are_explained(no_mechanism: ReportFiles) -> None:
    page, md = _texts(no_mechanism)
    drawn = {p.stem for p in no_mechanism.charts}
    assert "chart-mechanism" not in drawn and "chart-place" not in drawn
    assert "chart-relationship" in drawn and "chart-typology" in drawn
    sentences = _left_out(md)
    for subject in ("victims by mechanism", "victims by place"):
        sentence = next(s for s in sentences if s.startswith(f"No chart of {subject}:"))
        assert "known" in sentence
        assert html.escape(sentence, quote=False) in page


def test_min_count_one_says_every_count_is_published(every_count: ReportFiles) -> None:
    page, md = _texts(every_count)
    for text in (page, _plain_markdown(md)):
        assert "counts below 1" not in text
        assert "from 1 to 0" not in text
        assert "every count published" in text
        assert "every count is published" in text
    # Nothing is withheld: no [c] anywhere, legend included.
    assert "[c]" not in _notation(md)
    assert "[c]" not in _plain_markdown(md)
    assert "[c]" not in html.unescape(page)


def test_the_legend_for_c_only_when_something_is_withheld(small: ReportFiles) -> None:
    _, md = _texts(small)
    plain = _plain_markdown(md)
    body = plain[: plain.index("Notation:")]
    assert "| [c] |" in body or "[c] (fewer than" in body
    assert "[c] withheld for confidentiality" in _notation(md)


_CITATION = re.compile(r"^(?P<name>[A-Za-z][A-Za-z' -]*?)(?: et al\.)? (?P<year>(?:1[89]|20)\d\d)$")


def _first_author(names: str) -> str:
    return re.split(r",| and | & ", names.strip())[0].strip()


def _citations(text: str) -> set[tuple[str, str]]:
    found = set()
    for group in re.findall(r"\(([^()]*)\)", text):
        for part in group.split(";"):
            match = _CITATION.match(part.strip())
            if match:
                found.add((_first_author(match["name"]), match["year"]))
    return found


def _references(md: str) -> tuple[str, set[tuple[str, str]]]:
    plain = _plain_markdown(md)
    start = plain.index("### References")
    end = plain.index("---", start)
    listed = set()
    for line in plain[start:end].splitlines():
        if line.startswith("- "):
            match = re.match(r"- (?P<names>[^()]+?)\s*\((?P<year>\d{4})\)", line)
            assert match, line
            listed.add((_first_author(match["names"]), match["year"]))
    return plain[:start], listed


@pytest.mark.parametrize("which", ["small", "no_mechanism", "every_count"])
def test_references_are_exactly_the_works_cited(which: str, request: pytest.FixtureRequest) -> None:
    files: ReportFiles = request.getfixturevalue(which)
    _, md = _texts(files)
    text, listed = _references(md)
    cited = _citations(text)
    assert cited, "the methods cite their sources"
    assert cited - listed == set(), "cited but not listed"
    assert listed - cited == set(), "listed but never cited"
    assert ("Fay", "1997") in cited
    # Disclosure control is cited only when there is some; imputation only when asked.
    assert (("Hundepool", "2012") in cited) == (which != "every_count")
    assert ("Rubin", "1987") not in cited

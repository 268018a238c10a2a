"""docs/sources.md lists every decision of the built-in mappings, as they are.

The decision tables in the documentation are generated from the mappings themselves. When
a mapping changes, regenerate them with::

    PYTHONPATH=src python tests/sources/test_sources_docs.py

and paste each block between its markers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from femstat.sources import BUILTIN_MAPPINGS, builtin_mapping

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sources.md"


def _cell(value: object) -> str:
    text = str(value)
    return f"`{text}`" if text and not text.startswith("<") else text.replace("|", "\\|")


def decision_tables(name: str) -> str:
    """The markdown tables of one built-in mapping, one per entry."""
    mapping = builtin_mapping(name)
    frame = mapping.to_frame()
    blocks: list[str] = []
    for spec in mapping.columns:
        rows = frame[frame["entry"] == spec.name]
        inverted = spec.direction == "victim_to_perpetrator"
        title = f"**`{spec.name}`**: source `{spec.source}` → femstat `{spec.target}`"
        if spec.direction == "victim_to_perpetrator":
            title += " (written as what the victim was to the offender, then inverted)"
        if spec.prefix:
            title += " (longest prefix wins; text ranges compare the first characters)"
        header = ["rule", "source code", "femstat value"]
        if inverted:
            header.insert(2, "written as")
        lines = [title, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in rows.itertuples(index=False):
            cells = [str(row.rule), _cell(row.source_code)]
            if inverted:
                cells.append(_cell(row.written_as))
            cells.append(_cell(row.value))
            lines.append("| " + " | ".join(cells) + " |")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _block(text: str, name: str) -> str:
    match = re.search(
        rf"<!-- BEGIN {name} decisions -->\n(.*?)\n<!-- END {name} decisions -->", text, re.S
    )
    assert match is not None, f"docs/sources.md has no block for {name!r}"
    return match.group(1).strip()


@pytest.mark.parametrize("name", BUILTIN_MAPPINGS)
def test_docs_list_every_decision_of_the_builtin_mappings(name: str) -> None:
    assert _block(DOCS.read_text(encoding="utf-8"), name) == decision_tables(name).strip(), (
        f"docs/sources.md is out of date for the {name!r} mapping; regenerate it with "
        "`PYTHONPATH=src python tests/sources/test_sources_docs.py`"
    )


def test_docs_example_mapping_is_valid(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"```toml\n(# national-register\.toml.*?)```", text, re.S)
    assert match is not None, "the full example mapping is missing from docs/sources.md"
    path = tmp_path / "national-register.toml"
    path.write_text(match.group(1), encoding="utf-8")
    from femstat.sources import Mapping

    mapping = Mapping.from_file(path)
    assert isinstance(mapping.to_frame(), pd.DataFrame) and len(mapping.columns) >= 5


def test_docstring_examples_run() -> None:
    import doctest

    from femstat.sources import mapping

    result = doctest.testmod(mapping, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


if __name__ == "__main__":
    for builtin in BUILTIN_MAPPINGS:
        print(f"<!-- BEGIN {builtin} decisions -->")
        print(decision_tables(builtin))
        print(f"<!-- END {builtin} decisions -->\n")

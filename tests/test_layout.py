"""The cube layer keeps one direction of dependency and a named internal interface.

The modules that turn records into count cubes and cubes into statistics are ranked
below, lowest first (docs/architecture.md draws the same picture). Every import between
two of them, at module level or inside a function, must go to a strictly lower rank, so
that the flow file -> batch -> cube -> indicators reads in one direction; no import cycle
may pass through any of them; and no module of femstat may import a leading-underscore
name from one of them: what they share goes through ``femstat._cube`` (the internal
interface) and ``femstat._dispatch`` (the one place Dask frames are sent to their engine),
whose names are public within femstat.
"""

from __future__ import annotations

import ast
import inspect
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import femstat as fs

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "femstat"

RANKS: dict[str, int] = {
    "femstat._arrays": 0,
    "femstat._kernel": 0,
    "femstat.classify": 1,
    "femstat._cube": 2,
    "femstat._dispatch": 3,
    "femstat.counts": 4,
    "femstat.stream": 4,
    "femstat.completeness": 5,
    "femstat.indicators": 5,
    "femstat.dask": 7,
    "femstat.estimates": 6,
}
"""The cube layer, lowest first: arrays, the rule, the interface, the Dask dispatch, the
engines (frames in memory, files in batches), what is computed from cubes."""

SEALED = {name for name, rank in RANKS.items() if rank <= 4} | {
    "femstat.completeness",
    "femstat.dask",
}
"""Modules whose leading-underscore names no other module imports. (The statistics
modules, ``indicators`` and ``estimates``, share helpers with ``comparisons``: that is
outside the cube layer.)"""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p): p for p in sorted(root.rglob("*.py"))}


def imports(path: Path, known: set[str]) -> Iterator[tuple[str, str, int]]:
    """Every femstat import of a file, anywhere in it: (module, name or "", line).

    ``from femstat import X`` names the submodule ``femstat.X`` when there is one; other
    names of the package itself (``__version__``) are not an edge of the layer.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("femstat."):
                    yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "femstat":
                for alias in node.names:
                    if f"femstat.{alias.name}" in known:
                        yield f"femstat.{alias.name}", "", node.lineno
            elif node.module.startswith("femstat."):
                for alias in node.names:
                    yield node.module, alias.name, node.lineno


def graph(found: dict[str, Path]) -> dict[str, set[str]]:
    known = set(found)
    return {
        name: {target for target, _, _ in imports(path, known) if target != name}
        for name, path in found.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def test_every_module_of_the_layer_exists() -> None:
    found = modules()
    assert sorted(set(RANKS) - set(found)) == []


def test_imports_in_the_layer_go_one_way() -> None:
    found = modules()
    upward = []
    for name, targets in graph(found).items():
        if name not in RANKS:
            continue
        upward += [
            f"{name} (rank {RANKS[name]}) imports {t} (rank {RANKS[t]})"
            for t in sorted(targets)
            if t in RANKS and RANKS[t] >= RANKS[name]
        ]
    assert upward == []


def test_no_import_cycle_passes_through_the_layer() -> None:
    through_layer = [c for c in cycles(graph(modules())) if set(c) & set(RANKS)]
    assert through_layer == []


def test_no_private_name_of_the_layer_is_imported_elsewhere() -> None:
    found = modules()
    known = set(found)
    private = []
    for name, path in found.items():
        for target, imported, line in imports(path, known):
            if target == name or target not in SEALED or not imported.startswith("_"):
                continue
            private.append(f"{name}:{line} imports {imported} from {target}")
    assert private == []


def test_the_private_modules_say_what_they_are() -> None:
    for name in ("femstat._cube", "femstat._dispatch"):
        doc = ast.get_docstring(ast.parse(modules()[name].read_text(encoding="utf-8")))
        assert doc is not None and "not public API" in doc, name


# The checks themselves, on small made-up graphs: each must be able to fail.


def test_cycle_finder_finds_a_cycle_and_only_it() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from femstat.counts import _count\n", [("femstat.counts", "_count")]),
        ("def f():\n    from femstat import dask as d\n", [("femstat.dask", "")]),
        ("import femstat.stream\n", [("femstat.stream", "")]),
        ("from femstat import __version__\n", []),
    ],
)
def test_imports_are_read_at_every_level(tmp_path: Path, source: str, expected: list) -> None:
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    known = {"femstat.counts", "femstat.dask", "femstat.stream"}
    assert [(t, n) for t, n, _ in imports(path, known)] == expected


# The dispatch moved between modules; the warnings must still point at the user's line.


@pytest.fixture(scope="module")
def soft_records() -> pd.DataFrame:
    """Valid records, four of which raise one data-quality warning (not yet classified)."""
    data = fs.synth.generate(2_000, seed=3)
    rows = [10, 700, 1_300, 1_999]
    data.loc[rows, "relationship"] = "stranger"
    data.loc[rows, "prior_violence"] = True
    return data


def _warned_here(call: Callable[[], object]) -> list[tuple[str, int]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [
        (Path(w.filename).name, w.lineno)
        for w in caught
        if issubclass(w.category, fs.DataQualityWarning)
    ]


def test_warnings_of_dask_frames_point_at_the_callers_line(soft_records: pd.DataFrame) -> None:
    import dask.dataframe as dd

    import femstat.dask as fdask

    ddf = dd.from_pandas(soft_records, npartitions=3)
    here = Path(__file__).name
    line = inspect.currentframe().f_lineno  # type: ignore[union-attr]
    assert _warned_here(lambda: fs.counts(ddf, ["year"])) == [(here, line + 1)]
    assert _warned_here(lambda: fs.completeness(ddf, ["year"])) == [(here, line + 2)]
    assert _warned_here(lambda: fdask.indicators(ddf, ["year"])) == [(here, line + 3)]
    assert _warned_here(lambda: fdask.validate(ddf)) == [(here, line + 4)]


def test_warnings_of_a_file_point_at_the_callers_line(
    tmp_path: Path, soft_records: pd.DataFrame
) -> None:
    from femstat.stream import counts_from_file

    path = tmp_path / "soft.parquet"
    soft_records.to_parquet(path)
    here = Path(__file__).name
    line = inspect.currentframe().f_lineno  # type: ignore[union-attr]
    found = _warned_here(lambda: counts_from_file(path, ["year"], batch_rows=500))
    assert found == [(here, line + 1)]

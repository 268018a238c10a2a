"""The example notebooks in ``examples/`` run from top to bottom without an error.

Each notebook is executed in a fresh Jupyter kernel with nbclient (the engine nbmake uses),
from the ``examples/`` folder, as a reader would run it. A cell that raises fails the test
and the report shows the cell and its traceback. The committed notebooks must have their
outputs cleared, so that what is reviewed is the code, and no output (which could hold
victim data) is ever committed.

Equivalent by hand: ``pytest --nbmake examples/`` (needs nbmake).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _missing(reason: str) -> None:
    """Fail under CI (the test extra and shared/ are part of the setup), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason, allow_module_level=True)


try:
    import ipykernel  # noqa: F401
    import nbclient
    import nbformat
except ImportError as exc:  # pragma: no cover - the test extra installs them
    _missing(f"{exc.name} is not installed: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
SHR_FILE = "us_shr_2015_icpsr36790.zip"
ECUADOR_FILE = "ecuador_violent_deaths_women_2014_2023/ecuador_female_violent_deaths_2014_2023.csv"
CELL_TIMEOUT = 300  # seconds; each notebook takes a few seconds


def _shr_available() -> bool:
    # The notebook looks in shared/data/ from examples/ upwards, and so does this check.
    return any((folder / "shared" / "data" / SHR_FILE).is_file() for folder in ROOT.parents)


def _ecuador_available() -> bool:
    return any((folder / "shared" / "data" / ECUADOR_FILE).is_file() for folder in ROOT.parents)


# Notebooks that need data femstat does not ship, and how to tell whether it is there.
NEEDS_DATA = {
    "02_shr_analysis.ipynb": (_shr_available, f"shared/data/{SHR_FILE} not beside the repository"),
    "un_vs_legal_ecuador.ipynb": (
        _ecuador_available,
        f"shared/data/{ECUADOR_FILE} not beside the repository",
    ),
}


def test_the_examples_exist() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_national_pipeline.ipynb",
        "02_shr_analysis.ipynb",
        "03_area_comparison_asr.ipynb",
        "un_vs_legal_ecuador.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: clear the outputs before committing"
            assert cell.execution_count is None, f"{path.name}: clear the execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if path.name in NEEDS_DATA:
        available, reason = NEEDS_DATA[path.name]
        if not available():
            _missing(reason)
    # Files the notebooks write (tempfile.mkdtemp) land in pytest's temporary folder.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on failure
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors

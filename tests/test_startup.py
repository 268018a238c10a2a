"""``import femstat`` and ``femstat --help`` start without loading the data stack.

``femstat/__init__`` loads its public names on first use (PEP 562), and the command line
imports pandas only inside the commands that read data, so that help and version are
instant and a script that only needs ``femstat.codes`` does not pay for pandas, Dask or
matplotlib.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys

import pytest

import femstat

HEAVY = ("pandas", "numpy", "pandera", "dask", "matplotlib", "femstat.report")


def _modules_after(code: str) -> dict[str, bool]:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps({{m: m in sys.modules for m in {list(HEAVY)!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_loads_nothing_heavy() -> None:
    loaded = _modules_after("import femstat")
    assert not any(loaded.values()), loaded


def test_codes_alone_do_not_load_the_data_stack() -> None:
    loaded = _modules_after("import femstat\nfemstat.codes.FEMICIDE_TYPES")
    assert not loaded["dask"] and not loaded["matplotlib"] and not loaded["femstat.report"]


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["report", "--help"]])
def test_help_and_version_do_not_load_pandas(argv: list[str]) -> None:
    code = (
        "import sys\nfrom femstat.cli import main\n"
        f"sys.argv = ['femstat', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    loaded = _modules_after(code)
    assert not loaded["pandas"] and not loaded["dask"] and not loaded["matplotlib"], loaded


def test_version_prints_the_installed_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "femstat", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"femstat {importlib.metadata.version('femstat')}"


def test_every_public_name_resolves_and_is_listed() -> None:
    for name in femstat.__all__:
        assert getattr(femstat, name) is not None, name
    assert set(femstat.__all__) <= set(dir(femstat))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        femstat.no_such_name  # noqa: B018


def test_a_submodule_import_keeps_the_function_of_the_same_name() -> None:
    # Importing femstat.counts (or validate, classify, completeness) must not replace the
    # public function femstat.counts with its module, whichever comes first.
    code = (
        "import femstat.counts, femstat.validate, femstat.classify, femstat.completeness\n"
        "import femstat, types\n"
        "names = ('counts', 'validate', 'classify', 'completeness')\n"
        "assert all(callable(getattr(femstat, n)) for n in names), "
        "[type(getattr(femstat, n)) for n in names]\n"
        "assert not any(isinstance(getattr(femstat, n), types.ModuleType) for n in names)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

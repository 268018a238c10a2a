"""The code base stays ruff-clean and mypy-clean: checked with the tests, not beside them."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint():
    result = run(sys.executable, "-m", "ruff", "check", "src", "tests", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = run(sys.executable, "-m", "ruff", "format", "--check", "src", "tests", "scripts")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy():
    result = run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr

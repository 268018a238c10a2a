"""The benchmark scripts run, at a tiny size, and their engines agree (no timing judged)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "args",
    [
        ["bench_classify_count.py", "--smoke"],
        ["bench_indicators.py", "--groups", "200", "--rows", "20000", "--repeat", "1"],
        ["bench_validate_classify.py", "--rows", "20000", "--repeat", "1"],
        ["bench_files.py", "--smoke"],
        ["bench_trend_coverage.py", "--reps", "20"],
        ["bench_estimate.py", "--reps", "2", "--rows", "500", "--m", "3"],
    ],
)
def test_benchmark_script_runs(args):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

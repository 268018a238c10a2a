"""Start-up time: ``import femstat``, ``femstat --help`` and ``femstat --version``.

Each command runs in a fresh interpreter, ``--repeat`` times; the median wall-clock time is
reported beside the bare interpreter's (``python -c pass``), and which of pandas, Dask and
matplotlib the command loaded. ``--src`` runs another source tree (an older checkout, to
measure before and after a change).

    python benchmarks/bench_startup.py
    python benchmarks/bench_startup.py --src /path/to/old/checkout/src --repeat 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PROBE = (
    "import json, sys\n"
    "print(json.dumps([m for m in ('pandas', 'dask', 'matplotlib') if m in sys.modules]))"
)

COMMANDS: dict[str, str] = {
    "python -c pass": "pass",
    "import femstat": "import femstat",
    "femstat --help": (
        "import sys\nfrom femstat.cli import main\nsys.argv = ['femstat', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    ),
    "femstat --version": (
        "import sys\nfrom femstat.cli import main\nsys.argv = ['femstat', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    ),
    "import femstat; femstat.validate": "import femstat\nfemstat.validate",
}


def run(code: str, repeat: int, env: dict[str, str]) -> tuple[float, list[str]]:
    """Median seconds of ``python -c code`` and the heavy modules it loaded."""
    times = []
    loaded: list[str] = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", f"{code}\n{PROBE}"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        times.append(time.perf_counter() - start)
        loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return statistics.median(times), loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--src", help="source tree to put first on PYTHONPATH")
    args = parser.parse_args()
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = args.src
    for label, code in COMMANDS.items():
        seconds, loaded = run(code, args.repeat, env)
        print(f"{label:34s} {seconds:6.2f} s   loads: {', '.join(loaded) or 'none of them'}")
    print(f"(median of {args.repeat}; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()

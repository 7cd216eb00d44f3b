"""Whole `policyscan scan` processes of the working tree against a git ref, alternately, on the same corpus.

Usage:
    python benchmarks/ab_scan.py --before HEAD~1                 # the 201-page benchmark corpus, 3 rounds
    python benchmarks/ab_scan.py --before 5fb94fa --pages 2000 --rounds 1

Per side and round, with a fresh cache folder: a cold scan, a warm rescan, a rescan with the
second model of bench.py (benchmarks/.corpus-model-c4, trained on first use) and a scan with
--no-cache, all with --jobs 1. Each side runs as its own processes (the ref's `policyscan` package
from `git archive`, the working tree's from this checkout) from a folder outside both trees.
Prints the medians per side and the ratios the speed issue asks for.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import export

ROOT = Path(__file__).resolve().parent.parent
RUNS = ("cold", "warm", "retrained", "no cache")


def run(code: Path, args: list[str]) -> float:
    """Wall time of one `python -m policyscan scan ARGS -q` with `code` first on the path."""
    env = os.environ | {"PYTHONPATH": str(code), "POLICYSCAN_SPACY_PIPELINE": os.environ.get("POLICYSCAN_SPACY_PIPELINE", "blank")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as an installed policyscan runs: bytecode written once
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "policyscan", "scan", *args, "-q", "--jobs", "1"],
        env=env,
        cwd=tempfile.gettempdir(),  # `python -m` puts the working directory before PYTHONPATH
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):
        sys.exit(f"scan failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git ref to compare the working tree with")
    parser.add_argument("--pages", type=int, default=200, help="benchmark corpus size (built by bench.py) [200]")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    corpus = ROOT / "benchmarks" / f".corpus-{args.pages}"
    if not (corpus / ".complete").exists():
        sys.exit(f"no corpus at {corpus}: run `python benchmarks/bench.py --pages {args.pages}` once to build it")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench

    model = bench.second_model()
    times: dict[str, dict[str, list[float]]] = {side: {name: [] for name in RUNS} for side in ("before", "after")}
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"before": export(args.before, Path(tmp) / "before"), "after": ROOT}
        for _ in range(args.rounds):
            for side, code in sides.items():
                with tempfile.TemporaryDirectory() as work:
                    cache = ["--cache-dir", f"{work}/cache"]
                    times[side]["cold"].append(run(code, [str(corpus), "-o", f"{work}/a", *cache]))
                    times[side]["warm"].append(run(code, [str(corpus), "-o", f"{work}/b", *cache]))
                    times[side]["retrained"].append(run(code, [str(corpus), "-o", f"{work}/c", *cache, "--model", str(model)]))
                    times[side]["no cache"].append(run(code, [str(corpus), "-o", f"{work}/d", "--no-cache"]))
    for side, runs in times.items():
        m = {name: statistics.median(values) for name, values in runs.items()}
        label = f"before ({args.before})" if side == "before" else "after (working tree)"
        print(
            f"{label}: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in m.items()),
            f"| retrained / warm {m['retrained'] / m['warm']:.2f}, cold / warm {m['cold'] / m['warm']:.1f}",
        )


if __name__ == "__main__":
    main()

"""PDF extraction of the working tree against a git ref, on the same files, with identical output checked.

Usage:
    python benchmarks/ab_extract.py --before HEAD~1             # the 201-page benchmark corpus, pdfium engine
    python benchmarks/ab_extract.py --before 343e868 --pages 2000 --engine pdfplumber
    python benchmarks/ab_extract.py --before HEAD --folder ../shared/realpdfs   # any folder of PDFs

Each side runs in its own process (the ref's `policyscan` package from `git archive`, the
working tree's from this checkout), alternately, `--rounds` times; each process extracts
every PDF of the corpus (`benchmarks/.corpus-<pages>/`, built by bench.py) `--repeat` times
and reports its median time and a digest of everything it extracted (for a file that fails,
its error). Prints the medians, their ratio, and whether the two sides extracted exactly the same.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from memory import export

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import hashlib, json, statistics, sys, time
from policyscan.extract import extract_pdf
files, engine, repeat = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def extracted(f):
    try:
        return repr(extract_pdf(f, engine))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
digest = hashlib.sha256("".join(map(extracted, files)).encode()).hexdigest()
times = []
for _ in range(repeat):
    start = time.perf_counter()
    for f in files:
        extracted(f)
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": statistics.median(times), "digest": digest}))
"""


def run(code: Path, files: list[str], engine: str, repeat: int) -> dict:
    """One process of one side: median seconds over `repeat` passes, and the digest of its output."""
    env = os.environ | {"PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(files), engine, str(repeat)],
        env=env,
        cwd=tempfile.gettempdir(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git ref to compare the working tree with")
    parser.add_argument("--pages", type=int, default=200, help="benchmark corpus size (built by bench.py) [200]")
    parser.add_argument("--folder", type=Path, help="the PDFs under this folder instead of the benchmark corpus")
    parser.add_argument("--engine", default="pdfium", choices=["pdfium", "pdfplumber"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = args.folder.resolve() if args.folder else ROOT / "benchmarks" / f".corpus-{args.pages}"
    files = sorted(str(f) for f in corpus.rglob("*.pdf"))
    if not files:
        sys.exit(f"no PDFs under {corpus}: run `python benchmarks/bench.py --pages {args.pages}` once to build it")
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"before": export(args.before, Path(tmp)), "after": ROOT}
        results: dict[str, list[dict]] = {"before": [], "after": []}
        for _ in range(args.rounds):
            for name, code in sides.items():
                results[name].append(run(code, files, args.engine, args.repeat))
    before = statistics.median(r["seconds"] for r in results["before"])
    after = statistics.median(r["seconds"] for r in results["after"])
    same = {r["digest"] for r in results["before"]} == {r["digest"] for r in results["after"]}
    print(f"{len(files)} PDFs, engine {args.engine}: before ({args.before}) {before:.3f} s, after (working tree) {after:.3f} s")
    print(f"before / after: {before / after:.2f}x; outputs identical: {same}")


if __name__ == "__main__":
    main()

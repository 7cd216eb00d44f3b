"""Peak memory of `policyscan scan` and `policyscan tag`, before and after issue 16's streaming, in the same run.

Usage:
    python benchmarks/memory.py                           # 200, 2,000 and 10,000 pages; tag on 10,000 and 100,000 lines
    python benchmarks/memory.py --pages 200 --lines 10000 # a quick look

"Before" is the code at --before (a git ref, default the main branch before issue 16) and "after" the code
at --after (default HEAD), each exported into a temporary folder (so editing the checkout during a long run
changes nothing). Both run as `python -m policyscan` with their own code first on
the path. For every corpus (built once by bench.build under benchmarks/.corpus-<pages>/) it measures a cold
scan (empty cache) and a warm one (the same cache again), --jobs 1, as the peak resident memory of the whole
process tree sampled every 20 ms; and checks that before and after wrote the same files. `tag --json` reads
sentences of the corpus from stdin. Prints a table and writes benchmarks/results/memory.json.
"""

from __future__ import annotations

import argparse
import filecmp
import io
import itertools
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

import bench

ROOT = Path(__file__).resolve().parent.parent
#: main just before issue 16's streaming scan (the output writer of its first half is already in).
BEFORE = "484ff4d"
MIB = 2**20


def export(ref: str, folder: Path) -> Path:
    """The policyscan package of git `ref`, written under `folder`; the folder to put first on PYTHONPATH."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "policyscan"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    if (folder / "policyscan" / "pdf" / "native.c").exists():  # built as an install builds it, so both sides compare alike
        build = "from setuptools import Extension, setup; setup(name='policyscan', packages=[], script_args=['-q', 'build_ext', '--inplace'], ext_modules=[Extension('policyscan.pdf.native', ['policyscan/pdf/native.c'], optional=True)])"
        subprocess.run([sys.executable, "-c", build], cwd=folder, check=True, capture_output=True)
    return folder


def peak(args: list[str], code: Path, stdin: Path | None = None) -> tuple[float, int]:
    """Wall time and peak resident memory (process tree, bytes) of `python -m policyscan ARGS` with `code` first on the path."""
    env = os.environ | {"PYTHONPATH": str(code), "POLICYSCAN_SPACY_PIPELINE": os.environ.get("POLICYSCAN_SPACY_PIPELINE", "blank")}
    top = 0
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as given:
        # run from a folder outside both trees: `python -m` puts the working directory before PYTHONPATH
        command = [sys.executable, "-m", "policyscan", *args]
        proc = subprocess.Popen(command, env=env, cwd=tempfile.gettempdir(), stdin=given, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def watch() -> None:
            nonlocal top
            while proc.poll() is None:
                top = max(top, bench._tree_memory(proc.pid)[0])
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        errors = proc.stderr.read().decode(errors="replace")
        proc.wait()
        watcher.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"policyscan {' '.join(args)} failed with exit code {proc.returncode}:\n{errors}")
    return time.perf_counter() - start, top


def same_files(a: Path, b: Path) -> bool:
    """Whether two results folders hold the same files with the same bytes."""
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return not mismatch and not errors


def scan_figures(pages: int, trees: dict[str, Path], tmp: Path, before_cold: bool = True) -> dict:
    """Cold and warm scans of the corpus of `pages` pages with each tree; whether they wrote the same files.

    Without `before_cold` the baseline runs only warm, on the cache the code measured filled (both trees read
    and write the same cache entries).
    """
    files = bench.build(pages)
    corpus = files[0].parent.parent
    figures: dict = {"corpus": pages, "pages": int((corpus / ".complete").read_text(encoding="utf-8")), "documents": len(files)}
    for name in sorted(trees, key=lambda n: n == "before" and not before_cold):  # a baseline that only runs warm goes last
        code, row = trees[name], {}
        skip = name == "before" and not before_cold
        cache = tmp / f"cache-{'after' if skip else name}-{pages}"
        for run in ("warm",) if skip else ("cold", "warm"):
            out = tmp / f"out-{name}-{pages}-{run}"
            seconds, top = peak(["scan", str(corpus), "-o", str(out), "-q", "--jobs", "1", "--cache-dir", str(cache)], code)
            row[f"{run}_mib"], row[f"{run}_seconds"] = round(top / MIB), round(seconds, 1)
            print(f"scan {pages} pages, {name}, {run}: {row[f'{run}_mib']} MiB, {row[f'{run}_seconds']} s", file=sys.stderr)
        figures[name] = row
    if len(trees) == 2:
        figures["same_outputs"] = same_files(tmp / f"out-before-{pages}-warm", tmp / f"out-after-{pages}-warm")
    return figures


def tag_input(lines: int, tmp: Path) -> Path:
    """A file of `lines` sentences of a benchmark corpus (from this run's scan, else a fresh one of 200 pages), repeated as needed."""
    path = tmp / f"tag-{lines}.txt"
    source = min(tmp.glob("out-after-*-warm"), default=None)
    if source is None:
        source = tmp / "out-after-tag"
        peak(["scan", str(bench.build(200)[0].parent.parent), "-o", str(source), "-q", "--no-cache"], tmp / "after")
    with (source / "sentences.jsonl").open(encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    with path.open("w", encoding="utf-8") as out:
        for n, text in zip(range(lines), itertools.cycle(texts), strict=False):
            out.write(f"{text} ({n})\n")
    return path


def tag_figures(lines: int, trees: dict[str, Path], tmp: Path) -> dict:
    """Peak memory of `tag --json` on `lines` lines with each tree."""
    given = tag_input(lines, tmp)
    figures: dict = {"lines": lines}
    for name, code in trees.items():
        seconds, top = peak(["tag", "--json", "-"], code, given)
        figures[name] = {"mib": round(top / MIB), "seconds": round(seconds, 1)}
        print(f"tag {lines} lines, {name}: {figures[name]['mib']} MiB, {figures[name]['seconds']} s", file=sys.stderr)
    return figures


def table(figures: dict) -> str:
    """The figures as a Markdown table."""
    rows = [("run", "before MiB", "after MiB", "before s", "after s")]
    for f in figures["scan"]:
        for run in ("cold", "warm"):
            b, a = f.get("before", {}), f["after"]
            rows.append(
                (
                    f"scan {f['pages']} pages, {run}",
                    b.get(f"{run}_mib", "-"),
                    a[f"{run}_mib"],
                    b.get(f"{run}_seconds", "-"),
                    a[f"{run}_seconds"],
                )
            )
    for f in figures["tag"]:
        b, a = f.get("before", {}), f["after"]
        rows.append((f"tag --json, {f['lines']} lines", b.get("mib", ""), a["mib"], b.get("seconds", ""), a["seconds"]))
    width = [max(len(str(r[i])) for r in rows) for i in range(5)]
    lines = ["| " + " | ".join(str(v).ljust(w) for v, w in zip(r, width, strict=True)) + " |" for r in rows]
    lines.insert(1, "| " + " | ".join("-" * w for w in width) + " |")
    same = [f"{f['pages']} pages: {'yes' if f['same_outputs'] else 'NO'}" for f in figures["scan"] if "same_outputs" in f]
    return "\n".join(lines) + ("\n\nsame output files before and after: " + ", ".join(same) if same else "")


def save(figures: dict, path: Path, merge: bool = False) -> None:
    """Write the figures measured so far; with `merge`, keep the file's figures of corpora and line counts not measured now."""
    out = dict(figures)
    if merge and path.exists():
        earlier = json.loads(path.read_text(encoding="utf-8"))
        for kind, key in (("scan", "corpus"), ("tag", "lines")):
            mine = {f[key] for f in figures[kind]}
            out[kind] = sorted([f for f in earlier.get(kind, []) if f[key] not in mine] + figures[kind], key=lambda f, k=key: f[k])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[200, 2000, 10000])
    parser.add_argument("--lines", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--before", default=BEFORE, help=f"git ref of the baseline [default: {BEFORE}]; 'none' measures only this checkout")
    parser.add_argument(
        "--before-cold-up-to", type=int, metavar="PAGES", help="run the baseline's (slow) cold scan only on corpora up to PAGES"
    )
    parser.add_argument("--after", default="HEAD", help="git ref of the code to measure [default: HEAD]")
    parser.add_argument("--merge", action="store_true", help="keep the figures already in --out of other corpora and line counts")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "memory.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policyscan-memory-") as name:
        tmp = Path(name)
        trees = {"after": export(args.after, tmp / "after")}
        if args.before != "none":
            trees = {"before": export(args.before, tmp / "before"), **trees}
        figures: dict = {
            "before": args.before,
            "after": subprocess.run(
                ["git", "-C", str(ROOT), "rev-parse", "--short", args.after], capture_output=True, text=True
            ).stdout.strip(),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
            "scan": [],
            "tag": [],
        }
        limit = args.before_cold_up_to
        for pages in args.pages:
            figures["scan"].append(scan_figures(pages, trees, tmp, before_cold=limit is None or pages <= limit))
            save(figures, args.out, args.merge)  # each step as it is measured: a long run stopped halfway keeps what it found
        for lines in args.lines:
            figures["tag"].append(tag_figures(lines, trees, tmp))
            save(figures, args.out, args.merge)
    print(table(figures))
    print(f"\nwritten to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

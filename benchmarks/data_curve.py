"""How the real-text figures move with the amount of training data: the shipped settings trained on a growing share of
the annotations' source documents, each model scored on held-out files (e.g. ../shared/dev/real_dev.jsonl).

The question it answers is whether writing more annotations of the kinds already in `annotations/` still pays on real
text: if the held-out figures flatten while the training set doubles, more of the same will not reach the targets.
The held-out files are only scored, never used to fit or choose anything.

    python benchmarks/data_curve.py --check ../shared/dev/real_dev.jsonl
    python benchmarks/data_curve.py --check ../shared/dev/real_dev.jsonl --shares 0.25 0.5 1 --seeds 0 1

Writes benchmarks/results/data-curve.json and prints a table (one row per share, medians over seeds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from policyscan.annotations import merge, read_many
from policyscan.evaluate import headline
from policyscan.model import ModelSettings, label_matrix
from policyscan.model import train as fit
from policyscan.taxonomy import load_taxonomy
from policyscan.training import DEFAULT_ANNOTATIONS, cv_groups

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "data-curve.json"
FIGURES = ("task_micro_f1", "task_macro_f1_headline", "instrumentalisation_f1", "risk_awareness_f1")


def _shown(path: Path) -> str:
    """`path` relative to the repository when it lies inside it (results carry no machine's folders)."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def subset(groups: list[str], share: float, seed: int) -> np.ndarray:
    """Indices of the sentences of a random `share` of the source documents (all of them at share 1)."""
    names = sorted(set(groups))
    rng = np.random.default_rng(seed)
    keep = set(rng.permutation(names)[: max(1, round(share * len(names)))].tolist())
    return np.flatnonzero([g in keep for g in groups])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="append", required=True, help="held-out JSONL file to score (repeatable)")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    taxonomy = load_taxonomy()
    items, _ = merge(read_many([DEFAULT_ANNOTATIONS], taxonomy))
    settings = ModelSettings()
    groups = cv_groups(items, settings)
    checks = {}
    for path in args.check:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        checks[Path(path).name] = ([r["text"] for r in rows], label_matrix([r["labels"] for r in rows], taxonomy.ids))
    runs = []
    for share in args.shares:
        for seed in args.seeds if share < 1 else args.seeds[:1]:
            index = subset(groups, share, seed)
            start = time.perf_counter()
            model, _ = fit(
                [items[i].text for i in index],
                [items[i].labels for i in index],
                taxonomy.ids,
                settings,
                [groups[i] for i in index],
            )
            run = {"share": share, "seed": seed, "sentences": len(index), "seconds": round(time.perf_counter() - start, 1)}
            for name, (texts, y) in checks.items():
                figures = headline(y, model.decide(model.predict_proba(texts)), taxonomy.ids, taxonomy)
                run[name] = {k: round(float(figures[k]), 3) for k in FIGURES}
            print(json.dumps(run), flush=True)
            runs.append(run)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"settings": vars(args) | {"out": _shown(args.out)}, "runs": runs}, indent=1) + "\n", encoding="utf-8")
    for name in checks:
        print(f"\n{name}: share of source documents, sentences, then {', '.join(FIGURES)} (median over seeds)")
        for share in args.shares:
            rows = [r for r in runs if r["share"] == share]
            values = [statistics.median(r[name][k] for r in rows) for k in FIGURES]
            print(
                f"| {share:.2f} | {int(statistics.median(r['sentences'] for r in rows))} | " + " | ".join(f"{v:.3f}" for v in values) + " |"
            )


if __name__ == "__main__":
    main()

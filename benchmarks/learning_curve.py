"""Does sampling pay? The adaptation loop simulated on the shipped annotations, one learning curve per strategy.

A fixed held-out part (a share of the real-register documents, `real*.jsonl`, whole documents so none is on both
sides) is set aside; from the rest a small seed set is drawn (at random, topped up so every label has two
positives per cross-validation fold), and the remainder is the pool. Each round trains on seed + added with policyscan's
training code (pipeline, cross-validated thresholds), scores the pool as a scan would (the records carry text,
labels, scores, doc_id, municipality...), picks the next batch with `policyscan.sample.choose` (the code
`policyscan sample` runs), adds it with its gold labels and retrains. After every round the model is scored on
the held-out part: task micro-F1, task macro-F1 over the headline labels, instrumentalisation F1 and
risk_awareness F1.

    python benchmarks/learning_curve.py                    # uncertain, mixed, random; 3 seeds; 100 a round up to 800
    python benchmarks/learning_curve.py --seeds 2 --cv 3 --jobs 2   # what the README's table was made with

Writes benchmarks/results/learning-curve.json (every run, the summary and the Markdown table) and
benchmarks/results/learning-curve.png, and prints the table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyscan.annotations import Annotation, merge, read_many
from policyscan.model import ModelSettings, label_matrix
from policyscan.sample import choose
from policyscan.taxonomy import Taxonomy, load_taxonomy
from policyscan.training import DEFAULT_ANNOTATIONS, evaluate_items, text_digests_each, train_model

RESULTS = Path(__file__).parent / "results"
FIGURES = ("task_micro_f1", "task_macro_f1_headline", "instrumentalisation_f1", "risk_awareness_f1")
FIGURE_NAMES = {
    "task_micro_f1": "task micro-F1",
    "task_macro_f1_headline": "task macro-F1 (headline labels)",
    "instrumentalisation_f1": "instrumentalisation F1",
    "risk_awareness_f1": "risk_awareness F1",
}
STRATEGIES = ("uncertain", "mixed", "random")
COLOURS = {"uncertain": "#D55E00", "mixed": "#0072B2", "random": "#999999"}  # Okabe-Ito
REAL_REGISTER = re.compile(r"^real\d*_")


@dataclass(frozen=True)
class Split:
    """The fixed held-out part, the seed set and the pool the batches are drawn from."""

    held_out: tuple[Annotation, ...]
    seed: tuple[Annotation, ...]
    pool: tuple[Annotation, ...]


def document(item: Annotation) -> str:
    """The document a sentence belongs to: its source, or its file when it names none."""
    return item.source.strip() or Path(item.file).name


def is_real_register(item: Annotation) -> bool:
    """Whether the sentence comes from one of the real-register files (real_*, real2_*, real3_*)."""
    return bool(REAL_REGISTER.match(Path(item.file).name))


def held_out_split(items: Sequence[Annotation], share: float, seed: int = 0) -> tuple[list[Annotation], list[Annotation]]:
    """A share of the real-register documents (all documents when there are none), whole, and the rest."""
    candidates = sorted({document(a) for a in items if is_real_register(a)}) or sorted({document(a) for a in items})
    random.Random(seed).shuffle(candidates)
    chosen = set(candidates[: max(1, round(share * len(candidates)))])
    return [a for a in items if document(a) in chosen], [a for a in items if document(a) not in chosen]


def seed_split(items: Sequence[Annotation], size: int, labels: Sequence[str], min_positives: int, seed: int) -> tuple[list, list]:
    """A random seed set of `size` sentences, topped up so every label has `min_positives`, and the pool that is left."""
    rng = random.Random(seed)
    order = list(items)
    rng.shuffle(order)
    taken = set(range(min(size, len(order))))
    for label in labels:
        have = sum(label in order[i].labels for i in taken)
        extra = [i for i, a in enumerate(order) if i not in taken and label in a.labels][: max(0, min_positives - have)]
        taken.update(extra)
    return [order[i] for i in sorted(taken)], [a for i, a in enumerate(order) if i not in taken]


def split(items: Sequence[Annotation], labels: Sequence[str], held_out: float, seed_size: int, min_positives: int, seed: int) -> Split:
    """The held-out part (fixed: the same for every seed) and this seed's seed set and pool."""
    test, rest = held_out_split(items, held_out)
    start, pool = seed_split(rest, seed_size, labels, min_positives, seed)
    return Split(tuple(test), tuple(start), tuple(pool))


def municipality(source: str) -> str:
    """The municipality a source names ("..., gemeente Lindenhoek"), else its last part."""
    found = re.search(r"gemeente ([^,]+)$", source)
    return (found.group(1) if found else source.rsplit(",", 1)[-1]).strip()


def scan_records(items: Sequence[Annotation], model) -> list[dict]:
    """The pool as a scan's sentences.jsonl holds it: location fields, and the model's labels and scores."""
    index: dict[str, int] = {}
    records = []
    for item, prediction in zip(items, model.predict([a.text for a in items]), strict=True):
        doc = document(item)
        index[doc] = index.get(doc, -1) + 1
        records.append(
            {
                "doc_id": hashlib.sha256(doc.encode()).hexdigest()[:12],
                "path": doc,
                "page": 1,
                "index": index[doc],
                "section": None,
                "text": item.text,
                "municipality": municipality(doc),
                "labels": list(prediction.labels),
                "scores": prediction.scores,
            }
        )
    return records


def evaluation(model, held_out: Sequence[Annotation], taxonomy: Taxonomy) -> dict[str, float]:
    """The four headline figures of the model on the held-out sentences."""
    figures = evaluate_items(model, list(held_out), taxonomy)[0]["headline"]
    return {name: figures[name] for name in FIGURES}


def simulate(
    data: Split, strategy: str, steps: Sequence[int], batch: int, taxonomy: Taxonomy, settings: ModelSettings, seed: int = 0
) -> list[dict]:
    """One learning curve: train, score the pool, add the next batch chosen by `strategy`, retrain, until the last step.

    Returns one point per round (added 0, batch, 2 batch, ...): the figures on the held-out part and what was added
    (the batch as short text digests, policyscan.training.text_digests_each).
    """
    training, pool = list(data.seed), list(data.pool)
    points, batch_added = [], []
    for round_ in range(max(steps) // batch + 1):
        model = train_model(training, taxonomy, settings).model
        points.append(_point(model, data, training[len(data.seed) :], batch_added, taxonomy))
        if round_ * batch >= max(steps):
            break
        batch_added = next_batch(model, pool, training, strategy, batch, seed * 1000 + round_)
        training += batch_added
        taken = {a.text for a in batch_added}
        pool = [a for a in pool if a.text not in taken]
    return points


def next_batch(model, pool: Sequence[Annotation], training: Sequence[Annotation], strategy: str, n: int, seed: int) -> list[Annotation]:
    """The n pool sentences `policyscan sample` would choose with this model (training sentences excluded), with their gold labels."""
    records = scan_records(pool, model)
    thresholds = dict(zip(model.labels, map(float, model.thresholds), strict=True))
    tasks = choose(records, n, strategy, thresholds, [a.text for a in training], seed=seed)
    picked = {(t.path, t.index) for t in tasks}
    return [a for a, r in zip(pool, records, strict=True) if (r["path"], r["index"]) in picked]


def _point(model, data: Split, added: Sequence[Annotation], batch: Sequence[Annotation], taxonomy: Taxonomy) -> dict:
    y = label_matrix([a.labels for a in added], taxonomy.ids)
    positives = dict(zip(taxonomy.ids, map(int, y.sum(axis=0)), strict=True))
    return {
        "added": len(added),
        "training_sentences": len(data.seed) + len(added),
        **evaluation(model, data.held_out, taxonomy),
        "added_with_a_label": int(sum(1 for a in added if a.labels)),
        "added_real_register": int(sum(1 for a in added if is_real_register(a))),
        "added_positives": positives,
        "batch_digests": text_digests_each([a.text for a in batch]),  # the sentences added since the point before
    }


def summarise(runs: Sequence[dict], steps: Sequence[int]) -> dict:
    """Per strategy and number added: mean, standard deviation (over seeds), min and max of each figure."""
    summary: dict[str, dict] = {}
    for run in runs:
        for point in run["points"]:
            if point["added"] in (0, *steps):
                row = summary.setdefault(run["strategy"], {}).setdefault(str(point["added"]), {})
                for name in (*FIGURES, "added_with_a_label"):
                    row.setdefault(name, []).append(point[name])
    for rows in summary.values():
        for row in rows.values():
            for name, values in row.items():
                row[name] = _stats(values)
    return summary


def _stats(values: Sequence[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    sd = float(a.std(ddof=1)) if len(a) > 1 else 0.0
    return {"mean": round(float(a.mean()), 4), "sd": round(sd, 4), "min": float(a.min()), "max": float(a.max()), "n": len(a)}


def table(summary: dict) -> str:
    """The summary as a Markdown table: mean ± standard deviation over seeds, one row per strategy and step."""
    head = ["strategy", "added", *(FIGURE_NAMES[f] for f in FIGURES), "added with a label"]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(["---"] * len(head)) + " |"]
    for added in sorted({int(k) for rows in summary.values() for k in rows}):
        for strategy, rows in summary.items():
            row = rows.get(str(added))
            if row is None or (added == 0 and strategy != next(iter(summary))):
                continue  # before any batch every strategy has the same model: one row
            cells = [f"{row[f]['mean']:.3f} ± {row[f]['sd']:.3f}" for f in FIGURES]
            label = "(seed set)" if added == 0 else strategy
            lines.append(f"| {label} | {added} | " + " | ".join(cells) + f" | {row['added_with_a_label']['mean']:.0f} |")
    return "\n".join(lines)


def plot(runs: Sequence[dict], path: Path) -> None:
    """One panel per figure, one line per strategy (mean over seeds), the band mean ± standard deviation."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7.5))
    axes = fig.subplots(2, 2, sharex=True).ravel()
    strategies = list(dict.fromkeys(r["strategy"] for r in runs))
    for ax, name in zip(axes, FIGURES, strict=True):
        for strategy in strategies:
            curves = [[p[name] for p in r["points"]] for r in runs if r["strategy"] == strategy]
            x = [p["added"] for p in next(r for r in runs if r["strategy"] == strategy)["points"]]
            values = np.asarray([c[: len(x)] for c in curves], dtype=float)
            mean = values.mean(axis=0)
            sd = values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros_like(mean)
            ax.plot(x, mean, marker="o", markersize=3, color=COLOURS.get(strategy), label=strategy)
            ax.fill_between(x, mean - sd, mean + sd, color=COLOURS.get(strategy), alpha=0.2, linewidth=0)
        ax.set_title(FIGURE_NAMES[name], fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[2:]:
        ax.set_xlabel("sentences added to the seed set")
    axes[0].legend(title="strategy", fontsize=9)
    seeds = max(sum(r["strategy"] == s for r in runs) for s in strategies)
    fig.suptitle(f"Learning curves on the held-out real-register documents (mean ± sd over {seeds} seeds)", fontsize=11)
    fig.savefig(path, dpi=120, bbox_inches="tight", metadata={"Software": None})


def curve(
    items: Sequence[Annotation],
    taxonomy: Taxonomy,
    strategy: str,
    seed: int,
    steps: Sequence[int],
    batch: int,
    seed_size: int,
    held_out: float,
    cv: int,
) -> dict:
    """One strategy's curve for one seed (its own seed set and pool; the held-out part is the same for all)."""
    started = time.perf_counter()
    data = split(items, taxonomy.ids, held_out, seed_size, 2 * cv, seed)  # two positives of every label per fold
    points = simulate(data, strategy, steps, batch, taxonomy, ModelSettings(cv=cv), seed)
    return {"strategy": strategy, "seed": seed, "seconds": round(time.perf_counter() - started, 1), "points": points}


def run(
    items: Sequence[Annotation],
    taxonomy: Taxonomy,
    strategies: Sequence[str],
    seeds: Sequence[int],
    steps: Sequence[int],
    batch: int = 100,
    seed_size: int = 200,
    held_out: float = 0.25,
    cv: int = 3,
    progress=None,
    jobs: int = 1,
) -> dict:
    """Every strategy's curve for every seed (`jobs` curves at a time), and their summary: what the json file holds."""
    from concurrent.futures import ProcessPoolExecutor

    pairs = [(strategy, seed) for seed in seeds for strategy in strategies]
    args = (steps, batch, seed_size, held_out, cv)
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(curve, items, taxonomy, strategy, seed, *args) for strategy, seed in pairs]
            runs = []
            for future in futures:
                runs.append(future.result())
                if progress:
                    progress(runs[-1])
    else:
        runs = []
        for strategy, seed in pairs:
            runs.append(curve(items, taxonomy, strategy, seed, *args))
            if progress:
                progress(runs[-1])
    data = split(items, taxonomy.ids, held_out, seed_size, 2 * cv, seeds[-1])
    summary = summarise(runs, steps)
    return {
        "settings": {
            "strategies": list(strategies),
            "seeds": list(seeds),
            "steps": list(steps),
            "batch": batch,
            "seed_size": seed_size,
            "held_out_share_of_real_register_documents": held_out,
            "cv_folds": cv,
        },
        "data": {
            "sentences": len(items),
            "held_out_sentences": len(data.held_out),
            "held_out_documents": len({document(a) for a in data.held_out}),
            "seed_sentences": len(data.seed),
            "pool_sentences": len(data.pool),
        },
        "runs": runs,
        "summary": summary,
        "table": table(summary),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", nargs="*", default=[str(DEFAULT_ANNOTATIONS)], help="annotation files or folders")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--seeds", type=int, default=3, help="how many seeds (0, 1, ...) per strategy")
    parser.add_argument("--steps", default="100,200,400,800", help="numbers of added sentences to report")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seed-size", type=int, default=200)
    parser.add_argument("--held-out", type=float, default=0.25, help="share of the real-register documents held out")
    parser.add_argument("--cv", type=int, default=3, help="cross-validation folds for the thresholds (the shipped model: 5)")
    parser.add_argument("--jobs", type=int, default=1, help="curves trained at the same time (one process each)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    items, _ = merge(read_many(args.annotations, taxonomy))
    steps = [int(s) for s in args.steps.split(",")]
    started = time.perf_counter()

    def progress(r: dict) -> None:
        last = r["points"][-1]
        figures = " ".join(f"{last[f]:.3f}" for f in FIGURES)
        print(f"{r['strategy']:<10} seed {r['seed']}: {r['seconds']:6.1f}s  at {last['added']}: {figures}", file=sys.stderr, flush=True)

    result = run(
        items,
        taxonomy,
        args.strategies.split(","),
        range(args.seeds),
        steps,
        args.batch,
        args.seed_size,
        args.held_out,
        args.cv,
        progress,
        args.jobs,
    )
    result["command"] = "python benchmarks/learning_curve.py " + " ".join(sys.argv[1:])
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "learning-curve.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    plot(result["runs"], args.out / "learning-curve.png")
    print(result["table"])
    print(f"\n{result['seconds']:.0f}s; wrote {args.out / 'learning-curve.json'} and {args.out / 'learning-curve.png'}", file=sys.stderr)


if __name__ == "__main__":
    main()

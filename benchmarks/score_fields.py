"""Writing predictions' JSON fields: `json` against the table of score texts (`records.ScoreFields`), in one process.

Usage:
    python benchmarks/score_fields.py              # the shipped annotations' sentences, 5 repetitions

The shipped model scores the sentences once; then, alternately, the fields
(`"labels": [...], "scores": {...}`) of every prediction are written by `json`
(as `Prediction.json_fields` does for a prediction without them) and from the
table, and the two are checked to be the same text. Prints the medians and the ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from policyscan.model import score_steps
from policyscan.persist import load_model
from policyscan.records import Prediction, ScoreFields
from policyscan.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    texts = []
    for f in sorted((ROOT / "policyscan" / "data" / "annotations").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    model = load_model(taxonomy=load_taxonomy())
    proba = model.predict_proba(texts)
    rounded = np.round(proba, 4)
    labels = model.labels
    chosen = [tuple(label for label, on in zip(labels, row, strict=True) if on) for row in model.decide(proba).tolist()]
    scores = [dict(zip(labels, row, strict=True)) for row in rounded.tolist()]

    def by_json() -> list[str]:
        return [Prediction(c, s).json_fields() for c, s in zip(chosen, scores, strict=True)]

    def by_table() -> list[str]:
        fields = ScoreFields(labels)
        return [fields.fields(c, k) for c, k in zip(chosen, score_steps(rounded), strict=True)]

    assert by_json() == by_table()
    times: dict[str, list[float]] = {"json": [], "table": []}
    for _ in range(args.repeat):
        for name, write in (("json", by_json), ("table", by_table)):
            start = time.perf_counter()
            write()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{len(texts)} sentences, {len(labels)} labels; the same text either way")
    print(
        f"json {medians['json']:.3f} s, table {medians['table']:.3f} s (steps included): json / table {medians['json'] / medians['table']:.2f}x"
    )


if __name__ == "__main__":
    main()

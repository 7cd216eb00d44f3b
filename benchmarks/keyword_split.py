"""The model's recall on held-out task labels, split by whether the sentence holds a keyword of the label.

A task label on a sentence with no word of the label's field (no pattern of the keyword dictionary matches) was
mostly given for what the document around it says; a model that sees one sentence can hardly find it. The split
shows how much of what the model misses on real text is of that kind.

    python benchmarks/keyword_split.py ../shared/dev/real_dev.jsonl [--model MODEL]
"""

from __future__ import annotations

import argparse
import json
import re
import tomllib
from pathlib import Path

from policyscan.persist import load_model
from policyscan.taxonomy import load_taxonomy

KEYWORDS = Path(__file__).resolve().parent.parent / "policyscan" / "data" / "keywords.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="JSONL with text and labels")
    parser.add_argument("--model", default=None, help="model folder [default: the shipped model]")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    model = load_model(args.model)
    patterns = {
        label: re.compile("|".join(f"(?:{p})" for p in words), re.IGNORECASE)
        for label, words in tomllib.loads(KEYWORDS.read_text(encoding="utf-8"))["keywords"].items()
    }
    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    decided = model.decide(model.predict_proba([r["text"] for r in rows]))
    column = {label: j for j, label in enumerate(model.labels)}
    counts = {True: [0, 0], False: [0, 0]}  # keyword in the sentence -> [gold labels, found by the model]
    for row, on in zip(rows, decided, strict=True):
        for label in set(row["labels"]) & set(taxonomy.group("task")):
            kind = bool(patterns[label].search(row["text"]))
            counts[kind][0] += 1
            counts[kind][1] += bool(on[column[label]])
    for kind, name in ((True, "a keyword of the label in the sentence"), (False, "no keyword of the label in the sentence")):
        gold, found = counts[kind]
        print(f"{name}: {gold} task labels, model recall {found / gold:.3f}" if gold else f"{name}: none")


if __name__ == "__main__":
    main()

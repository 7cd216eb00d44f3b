"""Check annotation batches against the data rules of issue 3 (labels, templates, near duplicates).

Usage: python scripts/check_batch.py annotations/*.jsonl
"""

import json
import re
import sys
from collections import Counter, defaultdict
from itertools import combinations

LABELS = {
    "loneliness",
    "care_ageing",
    "poverty_work",
    "youth_education",
    "integration",
    "culture",
    "living_environment",
    "sport",
    "sustainability",
    "safety",
    "economy",
    "instrumentalisation",
    "risk_awareness",
}


def words(text):
    return re.findall(r"\w+", text.lower())


def main(paths):
    rows = []
    ok = True
    for path in paths:
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{path}:{n}: bad JSON: {e}")
                ok = False
                continue
            for key in ("text", "labels", "source", "annotator"):
                if key not in d:
                    print(f"{path}:{n}: missing {key}")
                    ok = False
            bad = set(d.get("labels", [])) - LABELS
            if bad:
                print(f"{path}:{n}: unknown labels {bad}")
                ok = False
            rows.append((path, n, d))
    texts = [d["text"] for _, _, d in rows]
    counts = Counter(label for _, _, d in rows for label in d["labels"])
    none = sum(1 for _, _, d in rows if not d["labels"])
    multi = sum(1 for _, _, d in rows if len(d["labels"]) >= 2)
    print(f"sentences {len(rows)}  no-label {none} ({none / max(len(rows), 1):.0%})  multi-label {multi}")
    for label in sorted(LABELS):
        print(f"  {label:22s} {counts[label]}")
    exact = [t for t, c in Counter(texts).items() if c > 1]
    if exact:
        ok = False
        print(f"exact duplicates: {len(exact)}", *exact[:10], sep="\n  ")
    first3 = Counter(" ".join(words(t)[:3]) for t in texts)
    crowded = {k: v for k, v in first3.items() if v >= 11}
    share = sum(crowded.values()) / max(len(texts), 1)
    print(f"share of sentences whose first 3 words are shared by 10+ others: {share:.1%} (max 5%)")
    for k, v in sorted(crowded.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {v:4d}  {k}")
    grams = defaultdict(set)
    for i, t in enumerate(texts):
        w = words(t)
        for j in range(len(w) - 4):
            grams[" ".join(w[j : j + 5])].add(i)
    frequent = {g: s for g, s in grams.items() if len(s) >= 20}
    hit = set().union(*frequent.values()) if frequent else set()
    print(f"share of sentences with a 5-word run found in 20+ sentences: {len(hit) / max(len(texts), 1):.1%} (max 5%)")
    for g, s in sorted(frequent.items(), key=lambda kv: -len(kv[1]))[:10]:
        print(f"  {len(s):4d}  {g}")
    shingles = [set(zip(w, w[1:], w[2:], strict=False)) for w in map(words, texts)]
    near = []
    for a, b in combinations(range(len(texts)), 2):
        sa, sb = shingles[a], shingles[b]
        if sa and sb and len(sa & sb) / len(sa | sb) >= 0.8:
            near.append((a, b))
    involved = {i for pair in near for i in pair}
    print(f"near-duplicate pairs (3-gram Jaccard >= 0.8): {len(near)}; sentences involved {len(involved)}")
    for a, b in near[:10]:
        print(f"  {texts[a]}\n  {texts[b]}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Speed of the summary's intervals for a population-sized sample: 350 municipalities, 13 labels.

Usage:
    python benchmarks/summary_speed.py [--municipalities 350] [--repeat 5]

Draws sentence counts per municipality and label like a real scan's (a few hundred sentences, most labels with 0-20
sentences), then times, as medians of --repeat runs: the error-rate simulation alone (1,000 simulations, presence ->
every figure; and the same drawing every sentence count, as the slow reference), the bootstrap (2,000 resamples), and the whole `summarise` with a 12-group --by.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from policyscan.summary import ErrorRates, Indicators, ResultsTable, bootstrap_interval, simulate_counts, simulate_presence, summarise
from policyscan.taxonomy import load_taxonomy


def _table(n: int, labels: tuple[str, ...]) -> ResultsTable:
    rng = np.random.default_rng(1)
    counts = rng.negative_binomial(1, 0.15, size=(n, len(labels)))
    sentences = rng.integers(80, 900, size=n)
    per_1000 = 1000 * counts[:, -2] / sentences
    names = tuple(f"Gemeente {i}" for i in range(n))
    return ResultsTable(names, ("",) * n, labels, sentences, counts, counts >= 2, per_1000, 1000 * counts[:, -1] / sentences)


def _median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=350)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    table = _table(args.municipalities, taxonomy.ids)
    rates = ErrorRates("benchmark", dict.fromkeys(taxonomy.ids, 0.7), dict.fromkeys(taxonomy.ids, 0.6))
    indicators = Indicators(taxonomy)
    groups = [f"provincie {i % 12}" for i in range(args.municipalities)]
    figures = {
        "error-rate simulation (1,000 runs)": lambda: indicators(simulate_presence(table.counts, rates, taxonomy.ids, 2, 1000)),
        "same, drawing every count (slow path)": lambda: indicators(simulate_counts(table.counts, rates, taxonomy.ids, 1000) >= 2),
        "bootstrap (2,000 resamples)": lambda: bootstrap_interval(indicators(table.present)),
        "summarise, all figures, 12 groups": lambda: summarise(table, taxonomy, rates, groups, "provincie"),
    }
    print(f"{args.municipalities} municipalities, {len(taxonomy.ids)} labels, median of {args.repeat} runs")
    for name, run in figures.items():
        print(f"  {name}: {_median_seconds(run, args.repeat):.3f} s")


if __name__ == "__main__":
    main()

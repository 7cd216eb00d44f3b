"""benchmarks/learning_curve.py on a tiny configuration: the split, one round per strategy, the table and the plot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from policyscan.annotations import merge, read_many
from policyscan.model import ModelSettings
from policyscan.sample import choose
from policyscan.taxonomy import load_taxonomy
from policyscan.training import DEFAULT_ANNOTATIONS, text_digests_each, train_model

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "learning_curve.py"


@pytest.fixture(scope="module")
def curve():
    """The benchmark script, imported as a module."""
    spec = importlib.util.spec_from_file_location("learning_curve", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="module")
def items(taxonomy):
    """A few dozen shipped sentences: three real-register documents whole, and four positives of every label from the rest."""
    everything, _ = merge(read_many([DEFAULT_ANNOTATIONS], taxonomy))
    real = sorted({a.source for a in everything if Path(a.file).name.startswith("real_")})[:3]
    chosen = [a for a in everything if a.source in real]
    for label in taxonomy.ids:
        chosen += [a for a in everything if label in a.labels and a not in chosen and a.source not in real][:4]
    return chosen


def test_held_out_part_is_whole_real_register_documents(curve, items):
    held, rest = curve.held_out_split(items, 0.34)
    assert held and all(Path(a.file).name.startswith("real_") for a in held)
    assert {curve.document(a) for a in held}.isdisjoint(curve.document(a) for a in rest)
    assert len(held) + len(rest) == len(items)


def test_seed_set_gives_every_label_enough_positives(curve, items, taxonomy):
    seed, pool = curve.seed_split(items, 5, taxonomy.ids, 2, seed=1)
    assert all(sum(label in a.labels for a in seed) >= 2 for label in taxonomy.ids)
    assert len(seed) + len(pool) == len(items) and not {a.text for a in seed} & {a.text for a in pool}


def test_pool_records_have_the_shape_of_a_scan(curve, items, taxonomy):
    model = train_model(items, taxonomy, ModelSettings(cv=2)).model
    records = curve.scan_records(items[:5], model)
    assert set(records[0]) >= {"text", "labels", "scores", "doc_id", "path", "page", "index", "municipality"}
    assert set(records[0]["scores"]) == set(taxonomy.ids)


def test_one_round_adds_the_batch_the_sample_code_chooses(curve, items, taxonomy):
    data = curve.split(items, taxonomy.ids, 0.34, 10, 2, seed=0)
    settings = ModelSettings(cv=2)
    points = curve.simulate(data, "uncertain", [8], 8, taxonomy, settings)
    assert [p["added"] for p in points] == [0, 8]
    model = train_model(list(data.seed), taxonomy, settings).model
    records = curve.scan_records(data.pool, model)
    tasks = choose(records, 8, "uncertain", dict(zip(model.labels, map(float, model.thresholds), strict=True)), seed=0)
    assert points[1]["batch_digests"] == text_digests_each([r["text"] for r in records if r["text"] in {t.text for t in tasks}])
    assert len(points[1]["batch_digests"]) == 8


def test_run_writes_a_summary_a_table_and_a_plot(curve, items, taxonomy, tmp_path):
    result = curve.run(items, taxonomy, ["uncertain", "random"], [0, 1], [6], batch=6, seed_size=10, held_out=0.34, cv=2)
    assert {(r["strategy"], r["seed"]) for r in result["runs"]} == {(s, n) for s in ("uncertain", "random") for n in (0, 1)}
    for run in result["runs"]:
        assert [p["added"] for p in run["points"]] == [0, 6]
        assert all(0.0 <= p[f] <= 1.0 for p in run["points"] for f in curve.FIGURES)
    assert result["summary"]["random"]["6"]["task_micro_f1"]["n"] == 2
    lines = result["table"].splitlines()
    assert lines[0].startswith("| strategy | added |") and len(lines) == 2 + 1 + 2  # head, seed-set row, one row per strategy
    curve.plot(result["runs"], tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

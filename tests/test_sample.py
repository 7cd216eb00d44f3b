"""policyscan sample: deterministic, spread over documents, no repeats, --exclude respected, every format read back."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyscan.annotations import read_many
from policyscan.cli import main
from policyscan.persist import read_card
from policyscan.sample import MIXED_UNCERTAIN_SHARE, NEAR_DUPLICATE, SPREAD_WINDOW, TASK_FORMATS, _jaccard, _shingles, normalised, sample

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
THRESHOLDS = read_card(None)["thresholds"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A real scan of the sample corpus (its damaged and image-only files fail, the rest is scanned)."""
    out = tmp_path_factory.mktemp("scan") / "results"
    result = CliRunner().invoke(main, ["scan", str(CORPUS), "--manifest", str(CORPUS / "manifest.csv"), "-o", str(out), "--no-cache", "-q"])
    assert (out / "sentences.jsonl").exists(), result.output
    return out


def _records(results: Path) -> list[dict]:
    return [json.loads(line) for line in (results / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, ["sample", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_same_seed_gives_the_same_sample_and_another_seed_another(results, tmp_path):
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        _run(str(results), "-n", "40", "-o", str(tmp_path / f"{name}.jsonl"), "--seed", seed)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


def test_mixed_is_mostly_uncertain_with_a_random_share(results):
    tasks = sample(results, 40, seed=3)
    assert len(tasks) == 40
    assert sum(t.strategy == "uncertain" for t in tasks) == round(40 * MIXED_UNCERTAIN_SHARE)
    assert sum(t.strategy == "random" for t in tasks) == 40 - round(40 * MIXED_UNCERTAIN_SHARE)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_issue_14_a_sample_of_one_to_three_is_drawn_whole(results, n):
    assert len(sample(results, n)) == n


def test_exclude_leaves_out_annotated_sentences(results, tmp_path):
    first = tmp_path / "first.jsonl"
    _run(str(results), "-n", "30", "-o", str(first), "--strategy", "uncertain")
    done = read_many([first])
    # a coder's file with other spacing and case still matches by normalised text
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"text": "  " + done[0].text.upper() + " ", "labels": []}) + "\n", encoding="utf-8")
    again = sample(results, 30, "uncertain", exclude=[first, other])
    assert {normalised(a.text) for a in done}.isdisjoint(normalised(t.text) for t in again)
    assert len(again) == 30


def test_sample_spreads_over_every_document(results):
    records = _records(results)
    documents = {r["path"] for r in records}
    nearest = sorted((min(abs(r["scores"][k] - t) for k, t in THRESHOLDS.items()), r["path"]) for r in records)
    tasks = sample(results, 20, "uncertain")
    sampled = {t.path for t in tasks}
    # every document with a sentence well inside the window the spread draws from (the 3 x 20 nearest) is in the sample,
    # which is more documents than the plain top 20 holds
    window = {path for _, path in nearest[: SPREAD_WINDOW * 20 - 10]}
    assert window <= sampled <= documents
    assert len({path for _, path in nearest[:20]}) < len(sampled)


def test_no_two_tasks_are_near_duplicates(results):
    tasks = sample(results, 150, "random", seed=5)
    texts = [t.text for t in tasks]
    assert len({normalised(t) for t in texts}) == len(texts)
    grams = [_shingles(t) for t in texts]
    assert all(_jaccard(a, b) < NEAR_DUPLICATE for i, a in enumerate(grams) for b in grams[i + 1 :])


def test_duplicates_and_near_duplicates_are_left_out(tmp_path):
    base = "De gemeente Lindenhoek ondersteunt vrijwilligers die boodschappen doen voor ouderen in de wijk De Hoven"
    texts = [base + ".", base.upper() + ".", base + " en omgeving.", "Het zwembad van Brugwaarde zoekt nieuwe badmeesters."]
    records = [
        {"doc_id": "d", "path": "d.pdf", "page": 1, "index": i, "section": "", "text": t, "municipality": "Lindenhoek", "labels": []}
        | {"scores": dict.fromkeys(THRESHOLDS, 0.0) | {"care_ageing": THRESHOLDS["care_ageing"]}}
        for i, t in enumerate(texts)
    ]
    (tmp_path / "sentences.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    for strategy in ("random", "uncertain"):
        chosen = {t.text for t in sample(tmp_path, 4, strategy)}
        assert len(chosen) == 2 and texts[3] in chosen, strategy


@pytest.mark.parametrize("fmt", list(TASK_FORMATS))
def test_every_format_reads_back_with_the_model_labels(results, tmp_path, fmt):
    out = tmp_path / f"tasks.{fmt}"
    _run(str(results), "-n", "25", "-o", str(out), "--format", fmt, "--seed", "7")
    tasks = sample(results, 25, seed=7)
    back = read_many([out])
    assert [(a.text, set(a.labels)) for a in back] == [(t.text, set(t.labels)) for t in tasks]
    converted = tmp_path / "converted.jsonl"
    result = CliRunner().invoke(main, ["annotations", "convert", str(out), "-o", str(converted), "--to", "policyscan"])
    assert result.exit_code == 0, result.output
    assert len(read_many([converted])) == 25


def test_jsonl_tasks_carry_their_context(results, tmp_path):
    out = tmp_path / "tasks.jsonl"
    _run(str(results), "-n", "20", "-o", str(out))
    by_place = {(r["path"], r["index"]): r for r in _records(results)}
    for item in read_many([out]):
        meta = item.meta["meta"]
        record = next(r for (path, index), r in by_place.items() if r["text"] == item.text and r["doc_id"] == meta["doc_id"])
        assert (meta["page"], meta["section"], meta["municipality"]) == (record["page"], record["section"], record["municipality"])
        assert meta["before"] == by_place.get((record["path"], record["index"] - 1), {}).get("text", "")
        assert meta["after"] == by_place.get((record["path"], record["index"] + 1), {}).get("text", "")
        assert list(item.labels) == record["labels"]
        assert meta["strategy"] in ("uncertain", "random")
        if meta["strategy"] == "uncertain":
            assert meta["score"] == record["scores"][meta["label"]]


def test_label_strategy_picks_sentences_near_that_threshold(results):
    records = _records(results)
    tasks = sample(results, 30, "label:sport")
    distances = sorted(abs(r["scores"]["sport"] - THRESHOLDS["sport"]) for r in records)
    assert {t.label for t in tasks} == {"sport"} and {t.strategy for t in tasks} == {"label:sport"}
    chosen = [abs(t.score - THRESHOLDS["sport"]) for t in tasks]
    assert min(chosen) == distances[0]
    assert sum(chosen) / len(chosen) < sum(distances) / len(distances) / 2
    assert max(chosen) <= distances[3 * 30 + 10]  # spread within the best candidates only (a few near-duplicates skipped)


def test_refuses_to_overwrite_and_names_unknown_labels(results, tmp_path):
    out = tmp_path / "tasks.jsonl"
    out.write_text("keep\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sample", str(results), "-n", "5", "-o", str(out)])
    assert result.exit_code == 1 and "exists; pass --force to replace it" in result.output
    assert out.read_text(encoding="utf-8") == "keep\n"
    result = CliRunner().invoke(main, ["sample", str(results), "-n", "5", "-o", str(out), "--force", "--strategy", "label:nope"])
    assert result.exit_code == 1 and "unknown label in 'label:nope'; choose from loneliness" in result.output


def test_issue_16_tasks_go_to_stdout_a_fifo_and_through_a_link_unchanged(results, tmp_path):
    args = ["sample", str(results), "-n", "8", "--seed", "3"]
    file = tmp_path / "taken.jsonl"
    _run(*args[1:], "-o", str(file))
    expected = file.read_text(encoding="utf-8")
    to_stdout = CliRunner().invoke(main, [*args, "-o", "-"])
    assert to_stdout.exit_code == 0 and to_stdout.stdout == expected and not (Path.cwd() / "-").exists()

    fifo = tmp_path / "pijp"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert CliRunner().invoke(main, [*args, "-o", str(fifo)]).exit_code == 0
    reader.join(timeout=60)
    assert received == [expected.encode()] and stat.S_ISFIFO(os.lstat(fifo).st_mode)

    target, link = tmp_path / "echt.jsonl", tmp_path / "laatste.jsonl"
    target.write_text("oud\n", encoding="utf-8")
    link.symlink_to(target)
    assert CliRunner().invoke(main, [*args, "-o", str(link), "--force"]).exit_code == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8") == expected

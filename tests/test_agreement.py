"""Intercoder agreement: kappa and alpha equal scikit-learn's and the krippendorff package's; matching; the command."""

from __future__ import annotations

import json
import math
import warnings

import krippendorff
import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from policyscan.agreement import agreement, cohen_kappa, krippendorff_alpha
from policyscan.annotations import Annotation, read_many
from policyscan.cli import main
from policyscan.errors import AnnotationError
from policyscan.taxonomy import load_taxonomy

TAX = load_taxonomy()
UNUSED = ("sport", "economy")  # neither coder uses these
ONLY_B = "safety"  # coder A never uses this one


def _coders(seed: int, n: int = 120) -> tuple[list[Annotation], list[Annotation]]:
    """Two coders' random label sets on n fictional sentences: B copies A's label with probability 0.7, else redraws it."""
    rng = np.random.default_rng(seed)
    used = [label for label in TAX.ids if label not in UNUSED]
    a, b = [], []
    for i in range(n):
        text = f"Zin {i}: de gemeente Lindenhoek werkt samen met vrijwilligers in Brugwaarde."
        labels_a = {label for label in used if label != ONLY_B and rng.random() < 0.2}
        labels_b = {label for label in used if (label in labels_a if rng.random() < 0.7 else rng.random() < 0.2)}
        a.append(Annotation(text, tuple(sorted(labels_a))))
        b.append(Annotation(text, tuple(sorted(labels_b))))
    return a, b


def _sklearn_kappa(x: np.ndarray, y: np.ndarray) -> float | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns when kappa is undefined and returns nan
        value = cohen_kappa_score(x, y)
    return None if math.isnan(value) else float(value)


def _package_alpha(x: np.ndarray, y: np.ndarray) -> float | None:
    try:
        return float(krippendorff.alpha(reliability_data=np.vstack([x, y]), level_of_measurement="nominal"))
    except ValueError:  # "There has to be more than one value in the domain."
        return None


def _binary(items: list[Annotation], labels: tuple[str, ...]) -> np.ndarray:
    return np.array([[label in item.labels for label in labels] for item in items], dtype=int)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_figures_equal_scikit_learn_and_krippendorff(seed):
    a, b = _coders(seed)
    result = agreement(a, b, TAX)
    xa, xb = _binary(a, TAX.ids), _binary(b, TAX.ids)
    for i, label in enumerate(TAX.ids):
        figures = result.labels[label]
        assert figures.kappa == pytest.approx(_sklearn_kappa(xa[:, i], xb[:, i]))
        assert figures.alpha == pytest.approx(_package_alpha(xa[:, i], xb[:, i]))
        assert figures.agreement == pytest.approx(np.mean(xa[:, i] == xb[:, i]))
        assert figures.n == len(a)
    for group in TAX.groups:
        columns = [TAX.ids.index(label) for label in TAX.group(group)]
        x, y = xa[:, columns].ravel(), xb[:, columns].ravel()
        assert result.groups[group].kappa == pytest.approx(_sklearn_kappa(x, y))
        assert result.groups[group].alpha == pytest.approx(_package_alpha(x, y))
        assert result.groups[group].n == len(a) * len(columns)
    assert result.overall.kappa == pytest.approx(_sklearn_kappa(xa.ravel(), xb.ravel()))
    assert result.overall.alpha == pytest.approx(_package_alpha(xa.ravel(), xb.ravel()))


def test_label_no_coder_used_is_undefined_with_full_agreement():
    result = agreement(*_coders(7), TAX)
    for label in UNUSED:
        assert (result.labels[label].kappa, result.labels[label].alpha, result.labels[label].agreement) == (None, None, 1.0)


def test_label_one_coder_never_used_is_defined():
    a, b = _coders(8)
    assert not any(ONLY_B in item.labels for item in a) and any(ONLY_B in item.labels for item in b)
    figures = agreement(a, b, TAX).labels[ONLY_B]
    assert figures.kappa is not None and figures.alpha is not None and figures.agreement < 1.0


@pytest.mark.parametrize("seed", [10, 11])
def test_multi_category_kappa_and_alpha_equal_the_references(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, 80)
    y = np.where(rng.random(80) < 0.6, x, rng.integers(0, 4, 80))
    assert cohen_kappa(x, y) == pytest.approx(cohen_kappa_score(x, y))
    assert krippendorff_alpha(x, y) == pytest.approx(_package_alpha(x, y))


def test_matched_by_text_with_whitespace_normalised_and_unmatched_counted():
    a = [
        Annotation("Brugwaarde  ondersteunt mantelzorgers.", ("care_ageing",)),
        Annotation("Alleen coder A zag deze zin.", ()),
        Annotation("Lindenhoek vraagt vrijwilligers taken over te nemen.", ("instrumentalisation",)),
    ]
    b = [
        Annotation("Brugwaarde ondersteunt\nmantelzorgers.", ("care_ageing",)),
        Annotation("Lindenhoek vraagt vrijwilligers taken over te nemen.", ()),
        Annotation("Alleen coder B zag deze.", ()),
        Annotation("En deze ook.", ()),
    ]
    result = agreement(a, b, TAX)
    assert (result.matched_by, result.compared, result.not_matched_a, result.not_matched_b) == ("text", 2, 1, 2)
    assert [d.text for d in result.disagreements] == ["Lindenhoek vraagt vrijwilligers taken over te nemen."]


def test_matched_by_id_when_both_files_have_ids():
    a = [Annotation("Lindenhoek steunt sportclubs.", ("sport",), meta={"id": "t1"}), Annotation("Tweede zin.", (), meta={"id": "t2"})]
    b = [Annotation("Lindenhoek steunt de sportclubs.", ("sport",), meta={"id": "t1"}), Annotation("Andere zin.", (), meta={"id": "t3"})]
    result = agreement(a, b, TAX)
    assert (result.matched_by, result.compared, result.not_matched_a, result.not_matched_b) == ("id", 1, 1, 1)
    assert result.labels["sport"].agreement == 1.0
    one_without_id = [*b, Annotation("Tweede zin.", ())]  # not every annotation has an id: texts decide
    result = agreement(a, one_without_id, TAX)
    assert (result.matched_by, result.compared, result.not_matched_a, result.not_matched_b) == ("text", 1, 1, 2)


def test_later_decision_on_the_same_sentence_counts():
    a = [Annotation("Brugwaarde zoekt vrijwilligers.", ()), Annotation("Brugwaarde zoekt vrijwilligers.", ("economy",))]
    b = [Annotation("Brugwaarde zoekt vrijwilligers.", ("economy",))]
    result = agreement(a, b, TAX)
    assert result.compared == 1 and not result.disagreements


def test_no_shared_sentence_is_an_error_that_says_what_to_do():
    with pytest.raises(AnnotationError, match="share no sentence"):
        agreement([Annotation("Zin een.", ())], [Annotation("Zin twee.", ())], TAX)


def _write(path, items: list[Annotation]) -> str:
    path.write_text("".join(json.dumps(item.to_json() | item.meta, ensure_ascii=False) + "\n" for item in items), encoding="utf-8")
    return str(path)


def test_command_json_and_disagreements_file_read_back(tmp_path):
    a, b = _coders(3, n=40)
    file_a, file_b = _write(tmp_path / "a.jsonl", a), _write(tmp_path / "b.jsonl", b)
    out = tmp_path / "adjudicate.jsonl"
    runner = CliRunner()
    result = runner.invoke(main, ["annotations", "agreement", file_a, file_b, "--json", "--disagreements", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"compared", "not_matched", "matched_by", "per_label", "groups", "overall", "disagreements"}
    assert set(data["per_label"]) == set(TAX.ids) and set(data["groups"]) == {"task", "risk"}
    assert set(data["overall"]) == {"kappa", "alpha", "agreement", "n"}
    assert data["per_label"]["sport"]["kappa"] is None and data["not_matched"] == {"a": 0, "b": 0}
    expected = agreement(a, b, TAX)
    assert data["overall"]["kappa"] == pytest.approx(expected.overall.kappa)
    back = read_many([out], TAX)
    differing = [(x, y) for x, y in zip(a, b, strict=True) if set(x.labels) != set(y.labels)]
    assert len(back) == len(differing) == data["disagreements"] > 0
    for item, (x, y) in zip(back, differing, strict=True):
        assert item.text == x.text
        assert set(item.labels) == set(x.labels) | set(y.labels)
        assert item.meta["meta"] == {"coder_a": list(x.labels), "coder_b": list(y.labels)}
    again = runner.invoke(main, ["annotations", "agreement", file_a, file_b, "--disagreements", str(out)])
    assert again.exit_code == 1 and "pass --force" in again.output


def test_command_table_shows_na_for_undefined(tmp_path):
    a, b = _coders(5, n=30)
    result = CliRunner().invoke(main, ["annotations", "agreement", _write(tmp_path / "a.jsonl", a), _write(tmp_path / "b.jsonl", b)])
    assert result.exit_code == 0, result.output
    assert "sentences compared: 30 (matched by text); not matched: 0 in A, 0 in B" in result.stdout
    sport = next(line for line in result.stdout.splitlines() if line.split()[0] == "sport")
    assert sport.split()[1:4] == ["n/a", "n/a", "100.0%"]


def test_ids_in_policyscan_jsonl_files_match_sentences(tmp_path):
    a = [Annotation("Brugwaarde steunt de bibliotheek.", ("culture",), meta={"id": 1})]
    b = [Annotation("Brugwaarde steunt de  bibliotheek van de stad.", (), meta={"id": 1})]
    result = CliRunner().invoke(
        main, ["annotations", "agreement", _write(tmp_path / "a.jsonl", a), _write(tmp_path / "b.jsonl", b), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["matched_by"], data["compared"], data["disagreements"]) == ("id", 1, 1)

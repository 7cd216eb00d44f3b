"""Coverage profiles: counts, shares, presence and the derived measures, on hand-made tagged sentences."""

from __future__ import annotations

import heapq
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyscan.profile import EVIDENCE_PER_LABEL, BestFirst, Profile, ProfileTally, build_profile, profiles_by
from policyscan.records import Sentence, TaggedSentence
from policyscan.spool import Spool
from policyscan.taxonomy import Taxonomy, load_taxonomy, parse_taxonomy

TAX = load_taxonomy()


def _tagged(doc: str, index: int, text: str, labels: tuple[str, ...], municipality: str = "Lindenhoek") -> TaggedSentence:
    scores = {label: (0.9 - 0.01 * index if label in labels else 0.05) for label in TAX.ids}
    return TaggedSentence(Sentence(doc, f"{doc}.pdf", 1, index, None, text, 0, len(text)), municipality, labels, scores)


SENTENCES = [
    _tagged("a", 0, "Maatjes bezoeken eenzame ouderen.", ("loneliness", "care_ageing")),
    _tagged("a", 1, "Het maatjesproject groeit.", ("loneliness",)),
    _tagged("a", 2, "De harmonie zoekt muzikanten.", ("culture",)),
    _tagged("a", 3, "Vrijwilligers vangen de bezuiniging op.", ("care_ageing", "instrumentalisation")),
    _tagged("b", 0, "Vrijwilligers nemen het groenonderhoud over.", ("living_environment", "instrumentalisation")),
    _tagged("b", 1, "De aanvraag gaat naar het college.", ()),
    _tagged("b", 2, "Wij voorkomen verdringing.", ("risk_awareness",)),
    _tagged("b", 3, "Het dorpshuis wordt beheerd door bewoners.", ("living_environment",)),
]


def test_counts_shares_and_presence():
    p = build_profile("Lindenhoek", "Lindenhoek", SENTENCES, TAX, documents=2)
    assert (p.sentences, p.documents) == (8, 2)
    assert p.characters == sum(len(t.sentence.text) for t in SENTENCES)
    lonely = p.label("loneliness")
    assert (lonely.sentences, lonely.share, lonely.present) == (2, 0.25, True)
    assert lonely.char_share == pytest.approx(round((len(SENTENCES[0].sentence.text) + len(SENTENCES[1].sentence.text)) / p.characters, 4))
    assert p.label("culture").present is False and p.label("sport").sentences == 0 and p.label("sport").mean_score is None
    assert p.label("loneliness").mean_score == pytest.approx(round((0.9 + 0.89) / 2, 4))


def test_derived_measures():
    p = build_profile("Lindenhoek", "Lindenhoek", SENTENCES, TAX, documents=2)
    assert p.derived.breadth == 3  # loneliness, care_ageing, living_environment (culture has one sentence)
    assert p.derived.task_sentences == 6
    assert p.derived.other_domain_share == pytest.approx(round(3 / 6, 4))  # culture, groen, dorpshuis
    assert p.derived.instrumentalisation_per_1000 == 250.0 and p.derived.risk_awareness_per_1000 == 125.0
    assert p.derived.awareness_per_instrumentalisation == 0.5
    assert p.derived.instrumentalisation_without_awareness is True  # one stray risk sentence is below the presence rule
    aware = build_profile("x", "x", [*SENTENCES, _tagged("c", 0, "Organisaties bepalen hun eigen koers.", ("risk_awareness",))], TAX, 3)
    assert aware.derived.instrumentalisation_without_awareness is False


def test_evidence_is_the_highest_scoring_sentences():
    p = build_profile("Lindenhoek", "Lindenhoek", SENTENCES, TAX, documents=2)
    assert [t.sentence.text for t in p.label("care_ageing").evidence] == [SENTENCES[0].sentence.text, SENTENCES[3].sentence.text]


def test_profiles_by_document_and_municipality_including_empty_ones():
    others = [_tagged("c", 0, "De sportclub zoekt trainers.", ("sport",), municipality="Brugwaarde")]
    expected_docs = {"a": ("Lindenhoek", 1), "b": ("Lindenhoek", 1), "c": ("Brugwaarde", 1), "leeg": ("Veendijk", 1)}
    docs = profiles_by(SENTENCES + others, TAX, "document", expected_docs)
    assert [(p.key, p.municipality, p.sentences) for p in docs] == [
        ("a", "Lindenhoek", 4),
        ("b", "Lindenhoek", 4),
        ("c", "Brugwaarde", 1),
        ("leeg", "Veendijk", 0),
    ]
    empty = docs[-1]
    assert empty.derived.other_domain_share is None and empty.derived.instrumentalisation_per_1000 is None and empty.derived.breadth == 0
    munis = profiles_by(SENTENCES + others, TAX, "municipality", {"Lindenhoek": ("Lindenhoek", 2), "Brugwaarde": ("Brugwaarde", 1)})
    assert [(p.key, p.documents, p.sentences) for p in munis] == [("Brugwaarde", 1, 1), ("Lindenhoek", 2, 8)]


RENAMED = {"instrumentalisation": "inzet_als_middel", "risk_awareness": "waakzaamheid"}


def _researcher_taxonomy(roles: str) -> Taxonomy:
    """The shipped taxonomy with its risk labels renamed, as a researcher's own file would, and `roles` as its [roles] table."""
    text = (resources.files("policyscan") / "data/taxonomy.toml").read_text(encoding="utf-8")
    text = text[: text.index("[roles]")] + roles + text[text.index("[[label]]") :]
    for old, new in RENAMED.items():
        text = text.replace(f'id = "{old}"', f'id = "{new}"')
    return parse_taxonomy(text, "onderzoek.toml")


def _relabelled(tax: Taxonomy) -> list[TaggedSentence]:
    out = []
    for t in SENTENCES:
        labels = tuple(RENAMED.get(label, label) for label in t.labels)
        scores = {RENAMED.get(label, label): v for label, v in t.scores.items()}
        out.append(TaggedSentence(t.sentence, t.municipality, labels, scores))
    assert {label for t in out for label in t.labels} <= set(tax.ids)
    return out


def test_issue_10_a_researchers_taxonomy_keeps_the_measures_through_its_roles():
    tax = _researcher_taxonomy('[roles]\nrisk = "inzet_als_middel"\nsafeguard = "waakzaamheid"\nother_domain = "other"\n\n')
    mine = build_profile("Lindenhoek", "Lindenhoek", _relabelled(tax), tax, documents=2)
    shipped = build_profile("Lindenhoek", "Lindenhoek", SENTENCES, TAX, documents=2)
    assert mine.derived == shipped.derived and mine.derived.instrumentalisation_per_1000 == 250.0


def test_undeclared_roles_leave_the_risk_measures_undefined_not_wrong():
    tax = _researcher_taxonomy("")
    assert tax.roles.risk is None and tax.roles.safeguard is None
    derived = build_profile("Lindenhoek", "Lindenhoek", _relabelled(tax), tax, documents=2).derived
    assert derived.instrumentalisation_per_1000 is None and derived.instrumentalisation_without_awareness is None
    assert derived.breadth == 3 and derived.other_domain_share == pytest.approx(0.5)


def test_issue_12_a_profile_of_nothing_read_has_counts_0_nothing_present_and_no_shares():
    p = build_profile("Groenvliet", "Groenvliet", [], TAX, documents=0)
    lonely = p.label("loneliness")
    assert (p.sentences, lonely.sentences, lonely.present) == (0, 0, False)
    assert (lonely.share, lonely.char_share, lonely.mean_score) == (None, None, None)
    assert p.derived.breadth == 0 and p.derived.instrumentalisation_without_awareness is False
    assert p.derived.instrumentalisation_per_1000 is None and p.status == "ok"


# ---------------------------------------------------------------- issue 16: profiles from counts, not from kept sentences


@given(st.lists(st.tuples(st.sampled_from([0.5, 0.25, 0.9]), st.integers(0, 3)), max_size=40), st.integers(1, 5))
def test_issue_16_best_first_keeps_what_a_stable_sort_puts_first(entries, limit):
    best = BestFirst(limit)
    for n, (score, group) in enumerate(entries):
        best.offer((-score, group), n)
    assert best.best() == sorted(range(len(entries)), key=lambda n: (-entries[n][0], entries[n][1]))[:limit]


def _scored(scores: list[float], label: str = "loneliness") -> list[TaggedSentence]:
    out = []
    for i, score in enumerate(scores):
        text = f"Zin {i} over vrijwilligers in Brugwaarde."
        scores_ = {lab: score if lab == label else 0.05 for lab in TAX.ids}
        out.append(TaggedSentence(Sentence(f"d{i % 3}", "d.pdf", 1, i, None, text, 0, len(text)), "Brugwaarde", (label,), scores_))
    return out


def _spooled(tagged: list[TaggedSentence]) -> Profile:
    spool = Spool()
    try:
        return ProfileTally(TAX, spool, "Brugwaarde").add_all(tagged).profile("Brugwaarde", "Brugwaarde", 1)
    finally:
        spool.close()


# the exact mean of these is 0.65055: numpy's float sum rounds it to 0.6506, an exact sum (math.fsum) to 0.6505
@pytest.mark.parametrize("scores", [[0.699, 0.8924, 0.3614, 0.8463, 0.7386, 0.3656]])
def test_issue_16_mean_score_is_numpys_mean_of_the_scores_in_order(scores):
    for profile in (build_profile("x", "x", _scored(scores), TAX, 1), _spooled(_scored(scores))):
        assert profile.label("loneliness").mean_score == round(float(np.mean(scores)), 4) == 0.6506


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 10_000).map(lambda n: n / 10_000), min_size=1, max_size=40))
def test_issue_16_a_spooled_tally_gives_the_profile_of_the_sentences_kept_in_memory(scores):
    tagged = _scored(scores)
    kept = build_profile("Brugwaarde", "Brugwaarde", tagged, TAX, 1)
    assert _spooled(tagged) == kept
    coverage = kept.label("loneliness")
    assert coverage.mean_score == round(float(np.mean(scores)), 4)
    key = lambda t: (-t.scores["loneliness"], t.sentence.doc_id, t.sentence.index)  # noqa: E731
    assert coverage.evidence == tuple(heapq.nsmallest(EVIDENCE_PER_LABEL, tagged, key=key))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 10_000).map(lambda n: n / 10_000), st.sampled_from([(), ("loneliness",), ("loneliness", "culture")])),
        max_size=40,
    ),
    st.lists(st.integers(1, 8), max_size=8),
)
def test_issue_13_a_municipality_counted_from_its_documents_tallies_equals_counting_each_sentence(rows, cuts):
    # a scan counts each document once and merges that tally into its municipality's (spooled), instead of counting twice
    documents, start = [], 0
    for cut in [*cuts, len(rows)]:
        doc = f"d{len(documents)}"
        part = []
        for index, (score, labels) in enumerate(rows[start : start + cut]):
            text = f"Zin {index} van {doc} over de vrijwilligers van Brugwaarde."
            scores = {lab: score if lab in labels else 0.05 for lab in TAX.ids}
            part.append(TaggedSentence(Sentence(doc, f"{doc}.pdf", 1, index, None, text, 0, len(text)), "Brugwaarde", labels, scores))
        documents.append(part)
        start += cut
    spool = Spool()
    try:
        merged = ProfileTally(TAX, spool, "Brugwaarde")
        for part in documents:
            merged.merge(ProfileTally(TAX).add_all(part))
        profile = merged.profile("Brugwaarde", "Brugwaarde", 1)
    finally:
        spool.close()
    assert profile == _spooled([t for part in documents for t in part])

"""Segmentation: Dutch sentence boundaries and offsets."""

from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from policyscan.records import Block, Extraction, Page
from policyscan.segment import (
    ABBREVIATIONS,
    SentenceRules,
    SpecialCasesOnDemand,
    _add_abbreviations,
    _load_nlp,
    _split,
    nlp_id,
    segment,
    split_sentences,
)

POOL = [
    "De gemeente ondersteunt o.a. het vrijwilligerspunt en de mantelzorgcoördinator.",
    "Het budget m.b.t. waardering bedraagt € 2.500 per jaar.",
    "Ruim 1.200 vrijwilligers zetten zich in, bijv. als maatje of als chauffeur.",
    "Zie art. 3 lid 2 van de verordening, d.w.z. de regels voor waarderingssubsidie.",
    "De raad besloot op 3 feb. 2025 t.b.v. de dorpshuizen extra middelen vrij te maken.",
    "Aanvragen gaan via het formulier, nr. 12 in de bijlage, enz. voor andere regelingen.",
    "Wat vindt u daarvan?",
    "Doe mee!",
]


def test_abbreviations_and_amounts_never_end_a_sentence(nlp):
    assert split_sentences([" ".join(POOL)], nlp) == POOL


def test_nlp_id_names_the_fallback(nlp):
    assert nlp_id(nlp).startswith("blank-nl-rules/spacy-")


def _extraction(texts: list[str]) -> Extraction:
    blocks, chunks, cursor = [], [], 0
    for text in texts:
        blocks.append(Block("paragraph", text, cursor, cursor + len(text)))
        chunks.append(text)
        cursor += len(text) + 2
    return Extraction("x.pdf", (Page(1, "\n\n".join(chunks), tuple(blocks)),))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.sampled_from(POOL), min_size=1, max_size=4), min_size=1, max_size=4))
def test_offsets_recover_sentences_and_nothing_is_lost(nlp, paragraphs):
    texts = [" ".join(p) for p in paragraphs]
    extraction = _extraction(texts)
    sentences = segment(extraction, "x", nlp)
    page_text = extraction.pages[0].text
    assert [s.text for s in sentences] == [s for p in paragraphs for s in p]
    assert [s.index for s in sentences] == list(range(len(sentences)))
    for sentence in sentences:
        assert page_text[sentence.start : sentence.end] == sentence.text


# The blank pipeline's tokenizer loads its special cases on demand; tokens and sentences must equal those of spaCy's own.


@functools.cache
def _all_up_front():
    """spaCy's blank Dutch pipeline with every special case loaded at once, and the same rules as load_nlp."""
    import spacy

    nlp = spacy.blank("nl")
    _add_abbreviations(nlp)
    nlp.add_pipe("sentencizer", first=True)
    nlp.add_pipe("policyscan_boundaries", after="sentencizer")
    return nlp


def _analysis(nlp, texts: list[str]) -> list[tuple]:
    return [(tuple(t.text for t in doc), tuple(s.start_char for s in doc.sents)) for doc in nlp.pipe(texts)]


@functools.cache
def _exceptions() -> list[str]:
    from spacy.lang.nl import Dutch

    return sorted(Dutch.Defaults.tokenizer_exceptions)


PIECES = [
    "Vrijwilligers",
    "zetten zich in",
    "voor de buurt",
    "in Lindenhoek",
    "Brugwaarde",
    "'t",
    "a.s",
    ".",
    "(",
    ")",
    ",",
    "?",
    "1.200",
    "€ 2.500",
    "Dat is alles.",
]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(PIECES), st.sampled_from(ABBREVIATIONS), st.integers(0, 4717)),
        min_size=1,
        max_size=30,
    ),
    st.lists(st.sampled_from([" ", " ", " ", "", "\n", "  "]), min_size=30, max_size=30),
)
def test_special_cases_on_demand_tokenize_exactly_like_all_up_front(pieces, gaps):
    exceptions = _exceptions()
    words = [exceptions[p % len(exceptions)] if isinstance(p, int) else p for p in pieces]
    text = "".join(w + g for w, g in zip(words, gaps, strict=False)).strip() or "."
    fresh = _load_nlp.__wrapped__("blank")  # a new pipeline: nothing loaded before this text
    assert _analysis(fresh, [text, text.lower()]) == _analysis(_all_up_front(), [text, text.lower()])


def test_special_cases_on_demand_across_documents(nlp):
    texts = [" ".join(POOL), "Wij zien u a.s. maandag, resp. dinsdag.", "Zie blz. 4 e.v. en Bijl. 2.", "Hij zei 't. Daarna ging hij."]
    texts += [f"Het woord {e} staat hier. En dan verder." for e in _exceptions()[::97]]
    on_demand = _load_nlp.__wrapped__("blank")
    assert [_analysis(on_demand, [t]) for t in texts] == [_analysis(_all_up_front(), [t]) for t in texts]
    assert isinstance(on_demand.tokenizer, SpecialCasesOnDemand) and on_demand.tokenizer.reloads > 1


# `segment` and `split_sentences` find sentence starts from the tokens alone (`SentenceRules`); they must be the
# sentences of the whole pipeline (the sentencizer, then `_fix_boundaries`).

SENTENCE_PIECES = [*PIECES, "!", "?)", '"', "'", "…", "。", "”", "»", "»Ja.«", "wel", "zo", "Dus", "nr.", "Nr.", "3.", "-", ";", ":", "..."]


def _whole_pipeline(nlp, text: str) -> list[tuple[int, str]]:
    return [(span.start_char, span.text.strip()) for span in nlp(text).sents]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(SENTENCE_PIECES), st.sampled_from(ABBREVIATIONS), st.sampled_from(POOL)), max_size=30),
    st.lists(st.sampled_from([" ", " ", " ", "", "\n", "  ", "\t"]), min_size=30, max_size=30),
)
def test_sentence_rules_give_the_sentences_of_the_whole_pipeline(nlp, pieces, gaps):
    text = "".join(w + g for w, g in zip(pieces, gaps, strict=False))
    assert SentenceRules.of(nlp) is not None
    assert next(_split(nlp, [text])) == _whole_pipeline(nlp, text)


def test_sentence_rules_on_whole_paragraphs(nlp):
    texts = ["", " ", " ".join(POOL), 'Dat is zo. (Zie bijlage 2.) Daarna volgt het plan!? En verder... nee. Ja!" Klaar.']
    texts += [" ".join(POOL[i:] + POOL[:i]).lower() for i in range(len(POOL))]
    assert list(_split(nlp, texts)) == [_whole_pipeline(nlp, t) for t in texts]


def test_a_pipeline_without_the_rules_is_run_whole():
    import spacy

    nlp = spacy.blank("nl")
    nlp.add_pipe("sentencizer")
    assert SentenceRules.of(nlp) is None
    assert split_sentences(["Eerst dit. dan dat."], nlp) == ["Eerst dit.", "dan dat."]  # no rule keeps "dan" in the sentence

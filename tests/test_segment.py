"""Segmentation: Dutch sentence boundaries and offsets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policyscan.records import Block, Extraction, Page
from policyscan.segment import nlp_id, segment, split_sentences

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

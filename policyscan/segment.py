"""Blocks -> sentences with spaCy's Dutch pipeline (nl_core_news_md if installed, else blank Dutch plus rules)."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
from collections.abc import Iterable, Iterator
from importlib import metadata
from typing import TYPE_CHECKING

from .records import Extraction, Sentence

if TYPE_CHECKING:  # spaCy is imported when a pipeline is first loaded, not when policyscan is
    from spacy.language import Language
    from spacy.tokens import Doc

PREFERRED_PIPELINE = "nl_core_news_md"
SEGMENTED_KINDS = ("paragraph", "list_item")

#: Dutch abbreviations that never end a sentence; the tokenizer keeps each as one token.
ABBREVIATIONS = (
    "o.a. m.b.t. t.b.v. bijv. bv. d.w.z. enz. etc. art. nr. nrs. jan. feb. febr. mrt. apr. jun. jul. aug. "
    "sep. sept. okt. nov. dec. ca. incl. excl. resp. zgn. i.s.m. t.z.t. e.d. blz. p. pag. mln. mld. dhr. mevr. "
    "drs. ir. ing. prof. dr. mr. jl. jr. vgl. evt. m.i.v. i.v.m. o.b.v. a.s. n.a.v. t/m. z.s.m. m.n. i.p.v. "
    "o.i.d. e.a. min. max. tel. gem. st. stg. vs. ivm. tav. t.a.v. t.o.v. m.u.v. p.p. p.j. lid. bijl. hfst. par."
).split()


def _fix_boundaries(doc: Doc) -> Doc:
    """No sentence starts at a lowercase word or right after an abbreviation or amount."""
    for token in doc[1:]:
        prev = doc[token.i - 1]
        if token.is_sent_start and (token.text[:1].islower() or prev.text.lower() in _ABBREV_SET):
            token.is_sent_start = False
    return doc


_ABBREV_SET = {a.lower() for a in ABBREVIATIONS}


def _add_abbreviations(nlp: Language) -> None:
    for abbrev in ABBREVIATIONS:
        for form in {abbrev, abbrev.capitalize()}:
            nlp.tokenizer.add_special_case(form, [{"ORTH": form}])


NLP_ENV = "POLICYSCAN_SPACY_PIPELINE"
#: Bumped whenever the sentence rules change, so cached sentences are rebuilt.
SEGMENTER_VERSION = "1"


def _wanted(prefer: str | None) -> str:
    return prefer or os.environ.get(NLP_ENV) or PREFERRED_PIPELINE


def load_nlp(prefer: str | None = None) -> Language:
    """The Dutch pipeline: `prefer` (or $POLICYSCAN_SPACY_PIPELINE, or nl_core_news_md) when installed, else blank Dutch with rules.

    "blank" asks for the rule-based fallback even when a trained pipeline is installed.
    """
    return _load_nlp(_wanted(prefer))


def nlp_key(prefer: str | None = None) -> str:
    """Which pipeline `load_nlp` would give, without importing spaCy (for cache keys)."""
    return _nlp_key(_wanted(prefer))


@functools.lru_cache(maxsize=4)
def _nlp_key(wanted: str) -> str:
    spacy_version = metadata.version("spacy")
    if wanted != "blank" and importlib.util.find_spec(wanted) is not None:
        return f"{wanted}-{metadata.version(wanted)}/spacy-{spacy_version}/rules-{SEGMENTER_VERSION}"
    return f"blank-nl/spacy-{spacy_version}/rules-{SEGMENTER_VERSION}"


@functools.lru_cache(maxsize=2)
def _load_nlp(prefer: str) -> Language:
    import spacy
    from spacy.language import Language

    if "policyscan_boundaries" not in Language.factories:
        Language.component("policyscan_boundaries", func=_fix_boundaries)
    nlp = None
    if prefer != "blank":
        try:
            nlp = spacy.load(prefer, exclude=["parser", "ner", "senter", "attribute_ruler", "morphologizer", "tagger"])
        except OSError:
            nlp = None
    if nlp is None:
        nlp = spacy.blank("nl")
    _add_abbreviations(nlp)
    nlp.add_pipe("sentencizer", first=True)
    nlp.add_pipe("policyscan_boundaries", after="sentencizer")
    return nlp


def nlp_id(nlp: Language) -> str:
    """A stable name for the pipeline, recorded in model cards."""
    import spacy

    meta = nlp.meta
    name = meta.get("name", "pipeline")
    if name == "pipeline" or not meta.get("vectors", {}).get("width"):
        return f"blank-nl-rules/spacy-{spacy.__version__.rsplit('.', 1)[0]}"
    return f"{meta.get('lang', 'nl')}_{name}-{meta.get('version', '?')}"


_LETTER = re.compile(r"[^\W\d_]{2}")


def segment(extraction: Extraction, doc_id: str, nlp: Language | None = None) -> list[Sentence]:
    """The sentences of an extracted document, with page, section and page offsets."""
    nlp = nlp or load_nlp()
    return list(_sentences(extraction, doc_id, nlp))


def _units(extraction: Extraction) -> Iterator[tuple[int, str | None, int, str]]:
    section = None
    for page in extraction.pages:
        for block in page.blocks:
            if block.kind == "heading":
                section = block.text
            elif block.kind in SEGMENTED_KINDS:
                yield page.number, section, block.start, block.text


def _within(units: Iterable[tuple[int, str | None, int, str]], limit: int) -> Iterator[tuple[int, str | None, int, str]]:
    """Units cut at whitespace into pieces shorter than the pipeline's `max_length` (a sentence may break at a cut)."""
    for page, section, offset, text in units:
        while len(text) > limit:
            cut = text.rfind(" ", limit // 2, limit) if " " in text[limit // 2 : limit] else limit
            yield page, section, offset, text[:cut]
            offset, text = offset + cut, text[cut:]
        yield page, section, offset, text


def _sentences(extraction: Extraction, doc_id: str, nlp: Language) -> Iterator[Sentence]:
    units = list(_within(_units(extraction), nlp.max_length - 1))
    read_by_ocr = {p.number for p in extraction.pages if p.ocr}
    index = 0
    docs = nlp.pipe((u[3] for u in units), batch_size=256)
    for (page, section, offset, _), doc in zip(units, docs, strict=True):
        for span in doc.sents:
            text = span.text.strip()
            if not _LETTER.search(text):
                continue
            start = offset + span.start_char
            yield Sentence(doc_id, extraction.path, page, index, section, text, start, start + len(text), page in read_by_ocr)
            index += 1


def split_sentences(texts: Iterable[str], nlp: Language | None = None) -> list[str]:
    """Plain texts -> sentences, with the same rules as documents."""
    nlp = nlp or load_nlp()
    return [s.text.strip() for doc in nlp.pipe(texts) for s in doc.sents if _LETTER.search(s.text)]

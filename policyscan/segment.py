"""Blocks -> sentences with spaCy's Dutch pipeline (nl_core_news_md if installed, else blank Dutch plus rules)."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import weakref
from collections.abc import Iterable, Iterator
from importlib import metadata
from typing import TYPE_CHECKING, ClassVar

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
    """Built once per process and pipeline name."""
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
        nlp = _blank_dutch()
    _add_abbreviations(nlp)
    nlp.add_pipe("sentencizer", first=True)
    nlp.add_pipe("policyscan_boundaries", after="sentencizer")
    return nlp


def _blank_dutch() -> Language:
    """spaCy's blank Dutch pipeline, whose tokenizer takes up each of its ~4,700 exceptions only when a text may use it.

    Loading them all takes 0.5-2 s (most of the time a one-document run spends in spaCy); see `SpecialCasesOnDemand`.
    """
    from spacy.lang.nl import Dutch

    class NoExceptions(Dutch.Defaults):
        tokenizer_exceptions: ClassVar[dict] = {}

    class LazyDutch(Dutch):
        Defaults = NoExceptions

    nlp = LazyDutch()
    nlp.tokenizer = SpecialCasesOnDemand(nlp.tokenizer, Dutch.Defaults.tokenizer_exceptions)
    return nlp


class SpecialCasesOnDemand:
    """A spaCy tokenizer that takes up a special case (such as "o.a." or "bijv.") just before the first text that may use it.

    Tokens come out exactly as with every special case loaded up front: a special case
    acts only where its text occurs, or where its tokens follow each other separated by
    single spaces (spaCy's matcher for special cases that straddle affixes), and either
    way its text occurs in the text with the spaces removed. Cases that end in "." (nearly
    all) are looked for at each "." of that text; the few others are loaded at once.

    New cases are loaded by resetting the tokenizer's rules, which starts its cache afresh
    (adding them one by one to a filled cache slows every later call); after
    `MAX_RELOADS` such resets every remaining case is loaded, so the cost never exceeds
    about twice that of loading them all up front.
    """

    MAX_RELOADS = 4

    def __init__(self, tokenizer: object, rules: dict[str, list[dict]]) -> None:
        self.tokenizer = tokenizer
        self.pending = {text: substrings for text, substrings in rules.items() if text.endswith(".")}
        self.lengths = sorted({len(text) for text in self.pending})
        self.reloads = 0
        tokenizer.rules = {text: substrings for text, substrings in rules.items() if text not in self.pending}

    def __call__(self, text: str) -> Doc:
        """The text's tokens, once the special cases it may use are loaded."""
        self.prepare((text,))
        return self.tokenizer(text)

    def prepare(self, texts: Iterable[str]) -> None:
        """Load, in one go, the special cases that these texts may use."""
        if not self.pending:
            return
        found: dict[str, list[dict]] = {}
        for text in texts:
            if "." in text:
                self._find(text.replace(" ", ""), found)
        if not found:
            return
        self.reloads += 1
        if self.reloads > self.MAX_RELOADS:
            found, self.pending = self.pending, {}
        for text in found:
            self.pending.pop(text, None)
        self.tokenizer.rules = {**self.tokenizer.rules, **found}

    def add_special_case(self, text: str, substrings: list[dict]) -> None:
        """Add a special case: looked for like the others when it ends in "." and is not loaded yet."""
        if text.endswith(".") and text not in self.tokenizer.rules:
            self.pending[text] = substrings
            self.lengths = sorted(set(self.lengths) | {len(text)})
        else:
            self.tokenizer.add_special_case(text, substrings)

    def _find(self, squeezed: str, found: dict[str, list[dict]]) -> None:
        """Add to `found` the pending cases that end at a "." of `squeezed`."""
        pending, dot = self.pending, squeezed.find(".")
        while dot >= 0:
            end = dot + 1
            for length in self.lengths:
                if length > end:
                    break
                if (candidate := squeezed[end - length : end]) in pending:
                    found[candidate] = pending[candidate]
            dot = squeezed.find(".", end)

    def __getattr__(self, name: str) -> object:
        if name == "tokenizer":  # not set yet (while unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.tokenizer, name)


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
    for (page, section, offset, _), spans in zip(units, _split(nlp, [u[3] for u in units]), strict=True):
        for start_char, text in spans:
            if not _LETTER.search(text):
                continue
            start = offset + start_char
            yield Sentence(doc_id, extraction.path, page, index, section, text, start, start + len(text), page in read_by_ocr)
            index += 1


def _split(nlp: Language, texts: list[str]) -> Iterator[list[tuple[int, str]]]:
    """Each text's sentences as (offset of the first token, stripped text), as `doc.sents` gives them after the pipeline."""
    _prepare(nlp, texts)
    rules = SentenceRules.of(nlp)
    if rules is None:  # a pipeline of someone else's making: its components decide
        for doc in nlp.pipe(texts, batch_size=256):
            yield [(span.start_char, span.text.strip()) for span in doc.sents]
        return
    tokenizer = getattr(nlp.tokenizer, "tokenizer", nlp.tokenizer)  # every special case the texts may use is loaded
    for text in texts:
        yield rules.sentences(text, tokenizer(text))


class SentenceRules:
    """The sentence starts of spaCy's sentencizer followed by `_fix_boundaries`, from a tokenized text.

    `load_nlp` pipelines run only those two components to set sentence starts (any others, such as a trained
    pipeline's tok2vec, leave them alone), so the sentences are the same as the whole pipeline's, to the
    character (tested against `doc.sents` on generated texts), without making a Python object per token.
    """

    def __init__(self, nlp: Language) -> None:
        from spacy.attrs import IDX, IS_PUNCT, ORTH

        strings = nlp.vocab.strings
        self.attributes = [ORTH, IS_PUNCT, IDX]
        self.punct = frozenset(strings.add(c) for c in nlp.get_pipe("sentencizer").punct_chars)
        self.strings = strings

    @staticmethod
    def of(nlp: Language) -> SentenceRules | None:
        """The rules of a `load_nlp` pipeline (made once per pipeline), else None."""
        names = nlp.pipe_names
        if names[:2] != ["sentencizer", "policyscan_boundaries"] or {"parser", "senter"} & set(names):
            return None
        rules = _RULES.get(nlp)
        if rules is None:
            rules = _RULES[nlp] = SentenceRules(nlp)
        return rules

    def sentences(self, text: str, doc: Doc) -> list[tuple[int, str]]:
        """The sentences of `text` (tokenized as `doc`): the offset of each one's first token, and its stripped text."""
        rows = doc.to_array(self.attributes).tolist()
        punct, strings = self.punct, self.strings
        starts, seen = [0] if rows else [], False
        for i, (orth, is_punct, _) in enumerate(rows):
            in_punct = orth in punct
            if seen and not is_punct and not in_punct:  # the sentencizer: the first word after ". " or "?)" starts a sentence
                seen = False
                if not (strings[orth][:1].islower() or strings[rows[i - 1][0]].lower() in _ABBREV_SET):  # `_fix_boundaries`
                    starts.append(i)
            elif in_punct:
                seen = True
        offsets = [rows[i][2] for i in starts] + [len(text)]
        return [(offsets[k], text[offsets[k] : offsets[k + 1]].strip()) for k in range(len(starts))]


_RULES: weakref.WeakKeyDictionary[Language, SentenceRules] = weakref.WeakKeyDictionary()


def split_sentences(texts: Iterable[str], nlp: Language | None = None) -> list[str]:
    """Plain texts -> sentences, with the same rules as documents."""
    nlp = nlp or load_nlp()
    return [text for spans in _split(nlp, list(texts)) for _, text in spans if _LETTER.search(text)]


def _prepare(nlp: Language, texts: list[str]) -> None:
    """Let a tokenizer that loads special cases on demand load those of a whole batch at once."""
    if isinstance(nlp.tokenizer, SpecialCasesOnDemand):
        nlp.tokenizer.prepare(texts)

"""policyscan: which societal tasks Dutch municipal volunteer policy ties volunteering to, with the evidence."""

from __future__ import annotations

__version__ = "0.1.0"

from .cache import DocumentCache
from .corpus import find_documents, normalize_municipality
from .errors import (
    AnnotationError,
    DamagedPDFError,
    EncryptedPDFError,
    InputError,
    ModelError,
    NotAPDFError,
    NoTextError,
    PolicyscanError,
    TaxonomyError,
)
from .extract import extract_file, extract_pdf
from .model import Model, ModelSettings
from .persist import ModelFolder, load_model, save_model
from .profile import Profile, build_profile
from .records import Block, Document, Extraction, Page, Prediction, Problem, Sentence, TaggedSentence
from .scan import ScanResult, ScanSummary, scan
from .segment import load_nlp
from .taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "AnnotationError",
    "Block",
    "DamagedPDFError",
    "Document",
    "DocumentCache",
    "EncryptedPDFError",
    "Extraction",
    "InputError",
    "Model",
    "ModelError",
    "ModelFolder",
    "ModelSettings",
    "NoTextError",
    "NotAPDFError",
    "Page",
    "PolicyscanError",
    "Prediction",
    "Problem",
    "Profile",
    "ScanResult",
    "ScanSummary",
    "Sentence",
    "TaggedSentence",
    "Taxonomy",
    "TaxonomyError",
    "build_profile",
    "extract_file",
    "extract_pdf",
    "find_documents",
    "load_model",
    "load_nlp",
    "load_taxonomy",
    "normalize_municipality",
    "save_model",
    "scan",
]

"""policyscan: which societal tasks Dutch municipal volunteer policy ties volunteering to, with the evidence."""

from __future__ import annotations

__version__ = "0.1.0"

from .cache import ExtractionCache
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
from .persist import load_model, save_model
from .profile import Profile, build_profile
from .records import Block, Document, Extraction, Page, Prediction, Problem, Sentence, TaggedSentence
from .scan import ScanSummary, scan
from .segment import load_pipeline, segment
from .taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "AnnotationError",
    "Block",
    "DamagedPDFError",
    "Document",
    "EncryptedPDFError",
    "Extraction",
    "ExtractionCache",
    "InputError",
    "Model",
    "ModelError",
    "ModelSettings",
    "NoTextError",
    "NotAPDFError",
    "Page",
    "PolicyscanError",
    "Prediction",
    "Problem",
    "Profile",
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
    "load_pipeline",
    "load_taxonomy",
    "normalize_municipality",
    "save_model",
    "scan",
    "segment",
]

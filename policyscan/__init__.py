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
from .records import Block, Document, Extraction, Page, Prediction, Sentence
from .segment import load_pipeline, segment

__all__ = [
    "AnnotationError",
    "Block",
    "DamagedPDFError",
    "Document",
    "EncryptedPDFError",
    "Extraction",
    "ExtractionCache",
    "InputError",
    "ModelError",
    "NoTextError",
    "NotAPDFError",
    "Page",
    "PolicyscanError",
    "Prediction",
    "Sentence",
    "TaxonomyError",
    "extract_file",
    "extract_pdf",
    "find_documents",
    "load_pipeline",
    "normalize_municipality",
    "segment",
]

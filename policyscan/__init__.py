"""policyscan: which societal tasks Dutch municipal volunteer policy ties volunteering to, with the evidence."""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
import sys
import types
from typing import TYPE_CHECKING

#: Where each public name lives; a module is imported when one of its names is first used, so that
#: `policyscan --help` or a cached rescan does not import numpy, spaCy or the PDF engines for nothing.
_EXPORTS = {
    "cache": ("DocumentCache",),
    "corpus": ("find_documents", "normalize_municipality"),
    "errors": (
        "AnnotationError",
        "DamagedPDFError",
        "EncryptedPDFError",
        "InputError",
        "ModelError",
        "NotAPDFError",
        "NoTextError",
        "PolicyscanError",
        "TaxonomyError",
    ),
    "extract": ("extract_file", "extract_pdf"),
    "model": ("Model", "ModelSettings"),
    "persist": ("ModelFolder", "load_model", "save_model"),
    "profile": ("Profile", "build_profile"),
    "records": ("Block", "Document", "Extraction", "Page", "Prediction", "Problem", "Sentence", "TaggedSentence"),
    "scan": ("ScanResult", "ScanSummary", "scan"),
    "segment": ("load_nlp",),
    "taxonomy": ("Taxonomy", "load_taxonomy"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> object:
    """A public name, imported from its module on first use."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'policyscan' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """The package object: its name `scan` stays the function even after the submodule `policyscan.scan` is imported."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _MODULE_OF and isinstance(value, types.ModuleType):
            return  # the import system binds a submodule to its package; the eager imports used to rebind the name over it
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    """The module's names, the lazily imported ones included."""
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
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

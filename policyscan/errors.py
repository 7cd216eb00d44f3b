"""The exceptions policyscan raises; each message says what went wrong and how to fix it."""

from __future__ import annotations


class PolicyscanError(Exception):
    """Base class of every error policyscan raises on purpose."""


class InputError(PolicyscanError):
    """A single input file cannot be processed; a batch reports it and goes on."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class NotAPDFError(InputError):
    """The file is not a PDF."""


class EncryptedPDFError(InputError):
    """The PDF is password-protected."""


class DamagedPDFError(InputError):
    """The PDF is damaged or truncated."""


class TooLargeError(InputError):
    """The document passes a per-document limit (pages, characters, time); the message names the setting that raises it."""


class NoTextError(InputError):
    """The PDF has no text layer (scanned pages): it needs OCR first."""


class EncodingError(InputError):
    """A text file's encoding cannot be told (not UTF-8, UTF-16 or Windows-1252)."""


class TaxonomyError(PolicyscanError):
    """The taxonomy file is invalid."""


class AnnotationError(PolicyscanError):
    """An annotation file is malformed or uses labels outside the taxonomy."""


class ModelError(PolicyscanError):
    """A model file is missing, untrusted or incompatible."""


class ManifestError(PolicyscanError):
    """The manifest CSV is malformed."""


class NoDocumentsError(PolicyscanError):
    """Nothing to read under the inputs (each missing file or empty folder is in `problems`); nothing is written."""

    def __init__(self, message: str, problems: tuple = ()) -> None:
        super().__init__(message)
        self.problems = problems


class OutputExistsError(PolicyscanError):
    """An output would be overwritten without --force."""


class OutputOverlapsInputError(PolicyscanError):
    """The output folder contains an input, or lies inside one: replacing it would delete the inputs."""


class OutputError(PolicyscanError):
    """An output path cannot be written (a folder, or a socket nobody listens on)."""


class PolicyscanWarning(UserWarning):
    """Something the user should know that does not stop the work (issued with `warnings.warn`)."""

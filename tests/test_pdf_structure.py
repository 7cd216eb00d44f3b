"""The pdf package's shape: engines and layout meet only through the public names of `policyscan.pdf.words`."""

from __future__ import annotations

import ast
from pathlib import Path

import policyscan

PDF = Path(policyscan.__file__).parent / "pdf"


def _imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    return [("." * node.level + (node.module or ""), alias.name) for node in nodes for alias in node.names]


def test_no_private_name_is_imported_across_pdf_modules():
    for path in [*PDF.glob("*.py"), PDF.parent / "extract.py"]:
        private = [f"{module}.{name}" for module, name in _imports(path) if name.startswith("_")]
        assert not private, f"{path.name} imports {private}"


def test_pdf_modules_never_import_the_extract_module_that_chooses_them():
    for path in PDF.glob("*.py"):
        modules = {module for module, _ in _imports(path)}
        assert not modules & {"..extract", "policyscan.extract"}, path.name
    assert {m for m, _ in _imports(PDF / "words.py")} <= {"__future__", "collections.abc", "dataclasses", "pathlib", "typing", "..errors"}

"""Generate PDFs with known text for tests, the sample corpus and the benchmarks.

Text markup: "|" forces a line break at that point, "~|" breaks a word with a
hyphen that is only there because of the break ("vrijwil~|ligers" is printed
as "vrijwil-" / "ligers" and expected back as "vrijwilligers").
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

PT = 0.3528  # mm per point


def expected(text: str) -> str:
    """The text a perfect extractor returns for marked-up `text`."""
    return " ".join(text.replace("~|", "").replace("|", " ").split())


@dataclass
class Layout:
    """Page geometry in mm, font sizes in points."""

    columns: int = 1
    width: float = 210
    height: float = 297
    margin_x: float = 22
    margin_top: float = 28
    margin_bottom: float = 26
    gutter: float = 10
    body_size: float = 10
    leading: float = 1.4
    paragraph_gap: float = 3.2
    font: str = "Helvetica"


@dataclass
class Truth:
    """What a document contains, for checking an extractor."""

    sentences: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)
    table_cells: list[str] = field(default_factory=list)


class _PDF(FPDF):
    def __init__(self, header_text: str | None, footer_text: str | None, page_numbers: bool) -> None:
        super().__init__(format="A4", unit="mm")
        self.core_fonts_encoding = "windows-1252"
        self.header_text = header_text
        self.footer_text = footer_text
        self.page_numbers = page_numbers
        self.set_auto_page_break(False)

    def header(self) -> None:
        if self.header_text:
            self.set_font("Helvetica", "", 8)
            self.text(22, 14, self.header_text)

    def footer(self) -> None:
        self.set_font("Helvetica", "", 8)
        if self.footer_text:
            self.text(22, 287, self.footer_text)
        if self.page_numbers:
            label = f"Pagina {self.page_no()}"
            self.text(170, 287, label)


class PolicyPDF:
    """A flowing document: headings, paragraphs, lists, tables and image pages, in one or two columns."""

    def __init__(
        self, layout: Layout | None = None, header: str | None = None, footer: str | None = None, page_numbers: bool = True
    ) -> None:
        self.layout = layout or Layout()
        self.pdf = _PDF(header, footer, page_numbers)
        self.truth = Truth(running=[t for t in (header, footer) if t] + (["Pagina"] if page_numbers else []))
        self.column = 0
        self.y = 0.0
        self._new_page()

    # -- geometry
    @property
    def col_width(self) -> float:
        lay = self.layout
        return (lay.width - 2 * lay.margin_x - (lay.columns - 1) * lay.gutter) / lay.columns

    @property
    def col_x(self) -> float:
        return self.layout.margin_x + self.column * (self.col_width + self.layout.gutter)

    def _new_page(self) -> None:
        self.pdf.add_page()
        self.column = 0
        self.y = self.layout.margin_top

    def _need(self, height: float) -> None:
        if self.y + height <= self.layout.height - self.layout.margin_bottom:
            return
        if self.column + 1 < self.layout.columns:
            self.column += 1
            self.y = self.layout.margin_top
        else:
            self._new_page()

    def _line_height(self, size: float) -> float:
        return size * PT * self.layout.leading

    # -- text
    def _wrap(self, text: str, width: float) -> list[str]:
        lines: list[str] = []
        for forced in text.replace("~|", "-\n").replace("|", "\n").split("\n"):
            current = ""
            for word in forced.split():
                trial = f"{current} {word}".strip()
                if current and self.pdf.get_string_width(trial) > width:
                    lines.append(current)
                    current = word
                else:
                    current = trial
            lines.append(current)
        return [ln for ln in lines if ln]

    def _draw_lines(self, lines: list[str], size: float, style: str = "", indent: float = 0.0, first_prefix: str | None = None) -> None:
        self.pdf.set_font(self.layout.font, style, size)
        height = self._line_height(size)
        for i, line in enumerate(lines):
            self._need(height)
            self.y += height
            if i == 0 and first_prefix:
                self.pdf.text(self.col_x + indent - 2 - self.pdf.get_string_width(first_prefix), self.y, first_prefix)
            self.pdf.text(self.col_x + indent, self.y, line)

    def heading(self, text: str, level: int = 1) -> None:
        """A bold heading, bigger for level 1; kept as section context, not a sentence."""
        size = self.layout.body_size + (4 if level == 1 else 2)
        self._need(self._line_height(size) * 3)
        self.y += self.layout.paragraph_gap * 1.5
        self.pdf.set_font(self.layout.font, "B", size)
        self._draw_lines(self._wrap(text, self.col_width), size, "B")
        self.y += self.layout.paragraph_gap * 0.5
        self.truth.headings.append(expected(text))

    def paragraph(self, *sentences: str) -> None:
        """Body text made of the given sentences."""
        self.pdf.set_font(self.layout.font, "", self.layout.body_size)
        self._draw_lines(self._wrap(" ".join(sentences), self.col_width), self.layout.body_size)
        self.y += self.layout.paragraph_gap
        self.truth.sentences += [expected(s) for s in sentences]

    def bullets(self, items: list[str], numbered: bool = False) -> None:
        """A bulleted or numbered list; each item is one sentence."""
        self.pdf.set_font(self.layout.font, "", self.layout.body_size)
        for n, item in enumerate(items, 1):
            marker = f"{n}." if numbered else "\u2022"
            self._draw_lines(self._wrap(item, self.col_width - 6), self.layout.body_size, indent=6, first_prefix=marker)
            self.y += 0.8
        self.y += self.layout.paragraph_gap
        self.truth.sentences += [expected(i) for i in items]

    def table(self, rows: list[list[str]]) -> None:
        """A ruled table; its cells must never reach the sentence stream."""
        self.pdf.set_font(self.layout.font, "", self.layout.body_size - 1)
        row_h = 7.0
        self._need(row_h * len(rows) + 4)
        cell_w = self.col_width / len(rows[0])
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                x, y = self.col_x + c * cell_w, self.y + r * row_h
                self.pdf.rect(x, y, cell_w, row_h)
                self._fit_font(cell, cell_w - 3)
                self.pdf.text(x + 1.5, y + row_h - 2.2, cell)
                self.pdf.set_font(self.layout.font, "", self.layout.body_size - 1)
        self.y += row_h * len(rows) + self.layout.paragraph_gap + 2
        self.truth.table_cells += [c for row in rows for c in row]

    def _fit_font(self, text: str, width: float) -> None:
        """Shrink the font until `text` fits in `width`, as a table cell must."""
        size = self.layout.body_size - 1
        while size > 4 and self.pdf.get_string_width(text) > width:
            size -= 0.5
            self.pdf.set_font(self.layout.font, "", size)

    def image_page(self, seed: int = 0) -> None:
        """A page with only a picture of text-like marks: no text layer."""
        from PIL import Image, ImageDraw

        rng = random.Random(seed)
        img = Image.new("L", (600, 850), 255)
        draw = ImageDraw.Draw(img)
        for row in range(60, 800, 18):
            x = 50
            while x < 540:
                w = rng.randint(12, 60)
                draw.rectangle([x, row, min(x + w, 550), row + 8], fill=40)
                x += w + 8
        buffer = io.BytesIO()
        img.save(buffer, format="PNG")
        self._new_page()
        self.pdf.image(buffer, x=15, y=20, w=180)
        self.column, self.y = self.layout.columns - 1, self.layout.height  # the next text starts a new page

    def page_break(self) -> None:
        """Continue on a new page."""
        self._new_page()

    def output(self, path: str | Path, user_password: str | None = None) -> Path:
        """Write the PDF; with a user password it is encrypted."""
        if user_password:
            self.pdf.set_encryption(owner_password=user_password + "-owner", user_password=user_password)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.pdf.output(str(path))
        return path

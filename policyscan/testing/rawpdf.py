"""A small hand-built PDF writer for fixtures that fpdf2 cannot make: the habits of real producers.

Word, Pages, Prince and InDesign set the font size through the text matrix
(`/F1 1 Tf` + `10 0 0 10 x y Tm`), draw a white box behind the page or a page
border, describe a regular font with a stem width PDFium reads as bold, fake
bold by stroking the glyph outline, use US Letter with running lines close to
the edge, and rotate pages. `RawDoc` writes such files from plain text, and
`RawDoc.truth` keeps the sentences a perfect extractor returns.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)


@dataclass
class Producer:
    """How a producer writes text and page furniture."""

    size_in_matrix: bool = True
    background: bool = False
    border: bool = False
    stem_v: int | None = None
    page: tuple[float, float] = A4
    margin_x: float = 72.0
    margin_top: float = 72.0
    margin_bottom: float = 72.0
    body_size: float = 10.0
    leading: float = 1.35
    rotate: int = 0
    running_at: float | None = None
    truetype: bool = False


@dataclass
class Truth:
    """What a generated document holds."""

    sentences: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)


def _escape(text: str) -> bytes:
    data = text.encode("cp1252")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


class RawDoc:
    """Pages of text laid out top to bottom, written as PDF operators by hand."""

    def __init__(self, producer: Producer | None = None, header: str | None = None, footer: str | None = None) -> None:
        self.producer = producer or Producer()
        self.header, self.footer = header, footer
        self.pages: list[list[bytes]] = []
        self.truth = Truth(running=[t for t in (header, footer) if t])
        self._metrics = FPDF(unit="pt")
        self.y = 0.0
        self.new_page()

    # -- geometry
    @property
    def width(self) -> float:
        return self.producer.page[0]

    @property
    def height(self) -> float:
        return self.producer.page[1]

    def new_page(self) -> None:
        """Start a page with the producer's furniture and running lines."""
        self.pages.append([])
        p = self.producer
        if p.background:
            self.op(f"q 1 1 1 rg 0 0 {self.width:.2f} {self.height:.2f} re f Q")
        if p.border:
            self.op(f"q 0.5 w 0 0 0 RG 20 20 {self.width - 40:.2f} {self.height - 40:.2f} re S Q")
        edge = p.running_at if p.running_at is not None else p.margin_top / 2
        if self.header:
            self.text(p.margin_x, edge, self.header, 8)
        if self.footer:
            self.text(p.margin_x, self.height - edge, self.footer, 8)
            self.text(self.width - p.margin_x - 40, self.height - edge, f"Pagina {len(self.pages)}", 8)
        self.y = p.margin_top

    def op(self, line: str | bytes) -> None:
        """Append raw content-stream operators to the current page."""
        self.pages[-1].append(line.encode("latin-1") if isinstance(line, str) else line)

    def text(self, x: float, top: float, text: str, size: float, bold: bool = False, mode: int = 0, angle: int = 0) -> None:
        """One run of text with its baseline `top` points below the page's top edge."""
        font = "/F2" if bold else "/F1"
        y = self.height - top
        matrix = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}[angle]
        if self.producer.size_in_matrix:
            a, b, c, d = (v * size for v in matrix)
            head = f"BT {font} 1 Tf {mode} Tr {a:g} {b:g} {c:g} {d:g} {x:.2f} {y:.2f} Tm ".encode()
        else:
            head = f"BT {font} {size:g} Tf {mode} Tr {' '.join(map(str, matrix))} {x:.2f} {y:.2f} Tm ".encode()
        self.op(head + b"(" + _escape(text) + b") Tj ET")

    def string_width(self, text: str, size: float, bold: bool = False) -> float:
        """Width of `text` in points, from Helvetica's metrics."""
        self._metrics.set_font("Helvetica", "B" if bold else "", size)
        return self._metrics.get_string_width(text)

    def wrap(self, text: str, width: float, size: float) -> list[str]:
        """Lines of at most `width` points; "|" forces a break."""
        lines: list[str] = []
        for forced in text.split("|"):
            current = ""
            for word in forced.split():
                trial = f"{current} {word}".strip()
                if current and self.string_width(trial, size) > width:
                    lines.append(current)
                    current = word
                else:
                    current = trial
            lines.append(current)
        return [ln for ln in lines if ln]

    def _need(self, height: float) -> None:
        if self.y + height > self.height - self.producer.margin_bottom:
            self.new_page()

    # -- blocks
    def lines(self, lines: list[str], size: float | None = None, bold: bool = False, mode: int = 0, indent: float = 0.0) -> None:
        """Lines as given, one under the other."""
        size = size or self.producer.body_size
        step = size * self.producer.leading
        for line in lines:
            self._need(step)
            self.y += step
            self.text(self.producer.margin_x + indent, self.y, line, size, bold, mode)

    def paragraph(self, *sentences: str, bold: bool = False, mode: int = 0, gap: float = 6.0) -> None:
        """Body text made of the given sentences."""
        size = self.producer.body_size
        self.lines(self.wrap(" ".join(sentences), self.width - 2 * self.producer.margin_x, size), size, bold, mode)
        self.y += gap
        self.truth.sentences += [" ".join(s.replace("|", " ").split()) for s in sentences]

    def heading(self, text: str, size: float | None = None) -> None:
        """A bold heading, by default at body size as in many municipal documents."""
        self.y += 6
        self.lines([text], size or self.producer.body_size, bold=True)
        self.y += 4
        self.truth.headings.append(text)

    def hanging_list(self, items: list[str], marker: str = "\u2022", flush: bool = False) -> None:
        """List items whose next lines start under the first line's text, or (`flush`) under the marker."""
        p = self.producer
        size, step = p.body_size, p.body_size * p.leading
        for item in items:
            lines = self.wrap(item, self.width - 2 * p.margin_x - 18, size)
            for i, line in enumerate(lines):
                self._need(step)
                self.y += step
                if i == 0:
                    self.text(p.margin_x, self.y, marker, size)
                self.text(p.margin_x + (18 if i == 0 or not flush else 0), self.y, line, size)
            self.y += 2
        self.truth.sentences += items

    def columns(self, texts: list[str]) -> None:
        """Equal columns side by side (filling each from the current line), one text per column."""
        p = self.producer
        n, gutter = len(texts), 18.0
        col_w = (self.width - 2 * p.margin_x - (n - 1) * gutter) / n
        size, step = p.body_size, p.body_size * p.leading
        top = self.y
        bottom = top
        for c, text in enumerate(texts):
            y = top
            for line in self.wrap(text, col_w, size):
                y += step
                self.text(p.margin_x + c * (col_w + gutter), y, line, size)
            bottom = max(bottom, y)
        self.y = bottom + 6

    # -- output
    def _font(self, name: str) -> bytes:
        descriptor = ""
        if self.producer.stem_v is not None:
            descriptor = f" /FontDescriptor <</Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [-166 -225 1000 931] /ItalicAngle 0 /Ascent 718 /Descent -207 /CapHeight 718 /StemV {self.producer.stem_v}>>"
            widths = " ".join(str(int(self._metrics_width(chr(c)))) for c in range(32, 256))
            descriptor += f" /FirstChar 32 /LastChar 255 /Widths [{widths}]"
        subtype, name = ("TrueType", name.replace("Helvetica", "Arial")) if self.producer.truetype else ("Type1", name)
        return f"<</Type /Font /Subtype /{subtype} /BaseFont /{name} /Encoding /WinAnsiEncoding{descriptor}>>".encode()

    def _metrics_width(self, char: str) -> float:
        try:
            return self.string_width(char, 1000)
        except Exception:  # characters Helvetica's metrics lack
            return 500

    def output(self, path: str | Path) -> Path:
        """Write the PDF."""
        objects: list[bytes] = [b"", b"", self._font("Helvetica"), self._font("Helvetica-Bold")]
        kids = []
        rotate = f" /Rotate {self.producer.rotate}" if self.producer.rotate else ""
        for ops in self.pages:
            stream = zlib.compress(b"\n".join(ops))
            objects.append(b"<</Length %d /Filter /FlateDecode>>\nstream\n" % len(stream) + stream + b"\nendstream")
            content = len(objects)
            objects.append(
                f"<</Type /Page /Parent 2 0 R /MediaBox [0 0 {self.width:.2f} {self.height:.2f}]{rotate} "
                f"/Resources <</Font <</F1 3 0 R /F2 4 0 R>>>> /Contents {content} 0 R>>".encode()
            )
            kids.append(f"{len(objects)} 0 R")
        objects[0] = b"<</Type /Catalog /Pages 2 0 R>>"
        objects[1] = f"<</Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)}>>".encode()
        return write_objects(path, objects)


def write_objects(path: str | Path, objects: list[bytes], trailer_extra: bytes = b"") -> Path:
    """A PDF file of numbered objects (1..n, the first the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref) + trailer_extra
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path


def type3_without_unicode(path: str | Path, lines: list[str]) -> Path:
    """A page set in a Type3 font whose glyph names mean nothing and that has no ToUnicode map, as some converters write."""
    glyph = b"0 0 d0 0 0 m 500 0 l 500 700 l 0 700 l f"
    procs = "<<" + " ".join(f"/g{i} 6 0 R" for i in range(1, 27)) + ">>"
    font = (
        "<</Type /Font /Subtype /Type3 /FontBBox [0 0 500 700] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs " + procs + " "
        "/Encoding <</Type /Encoding /Differences [1 " + " ".join(f"/g{i}" for i in range(1, 27)) + "]>> "
        "/FirstChar 1 /LastChar 26 /Widths [" + " ".join(["600"] * 26) + "]>>"
    ).encode()
    ops = []
    for i, line in enumerate(lines):
        codes = bytes(32 if ch == " " else (ord(ch.lower()) - 96) % 27 for ch in line if ch == " " or ch.isalpha())
        ops.append(f"BT /T3 10 Tf 72 {760 - 14 * i} Td (".encode() + codes.replace(b"(", b"\\(").replace(b")", b"\\)") + b") Tj ET")
    content = b"\n".join(ops)
    return write_objects(
        path,
        [
            b"<</Type /Catalog /Pages 2 0 R>>",
            b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
            b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources <</Font <</T3 4 0 R>>>> /Contents 5 0 R>>",
            font,
            b"<</Length %d>>\nstream\n" % len(content) + content + b"\nendstream",
            b"<</Length %d>>\nstream\n" % len(glyph) + glyph + b"\nendstream",
        ],
    )


def scanned_copy(source, path, dpi: int = 200, turn: int = 0):
    """An image-only PDF made of the rendered pages of `source`, as a scanner makes it (fed in `turn` degrees turned)."""
    import io

    import pypdfium2 as pdfium

    pdf = FPDF(unit="pt", format="A4")
    document = pdfium.PdfDocument(str(source))
    for index in range(len(document)):
        image = document[index].render(scale=dpi / 72).to_pil().convert("L").rotate(turn, expand=True)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.add_page()
        pdf.image(buffer, x=0, y=0, w=pdf.w, h=pdf.h)
    document.close()
    pdf.output(str(path))
    return path


# ---------------------------------------------------------------- text to fill generated layouts

_WHO = [
    "De buurtvereniging",
    "Het vrijwilligerspunt",
    "Een mantelzorger",
    "De sportraad",
    "Het dorpshuis",
    "De bibliotheek",
    "Een maatje",
    "De kerk",
]
_WHAT = [
    "zoekt nieuwe bestuursleden",
    "organiseert een koffieochtend",
    "helpt bij de belastingaangifte",
    "beheert de moestuin",
    "begeleidt nieuwkomers",
    "onderhoudt het molenerf",
    "bezoekt eenzame ouderen",
    "traint de jeugdteams",
]
#: Places the filler sentences name (also used for headings).
PLACES = [
    "in Lindenhoek",
    "in Brugwaarde",
    "aan de Kerkstraat",
    "in de wijk Oosterveld",
    "langs de Dorpsweg",
    "bij het station",
    "in de kern Meerhaven",
    "op het plein",
]


def filler_sentences(count: int) -> list[str]:
    """Distinct, known sentences to fill generated layouts with: the truth extraction must give back (layout tests, not training data)."""
    return [
        f"{_WHO[i % 8]} {_WHAT[(i // 8 + i) % 8]} {PLACES[(i * 3) % 8]} en vraagt daarvoor {i + 2} vrijwilligers die zich willen inzetten."
        for i in range(count)
    ]

"""The one compiled part: PDFium's per-character calls in a C loop (policyscan/pdf/native.c).

Everything else is in pyproject.toml. The extension is optional: without a C compiler the
package installs all the same and reads PDFs through ctypes, about 1.2x slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("policyscan.pdf.native", ["policyscan/pdf/native.c"], optional=True)])

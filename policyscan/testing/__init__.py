"""Helpers that generate PDFs with known text and open reports in a browser: for the tests, the benchmarks and the
corpus scripts. They need the `test` extra (fpdf2, pytest, playwright); nothing else in policyscan imports them."""

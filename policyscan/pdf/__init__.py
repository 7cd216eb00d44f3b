"""PDF text extraction: engines that read positioned words (`plumber`, `pdfium`) and the layout rules that make blocks of them.

`words` is the contract between them; `policyscan.extract` chooses the engine.
"""

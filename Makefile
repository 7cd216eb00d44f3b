# Two commands do all the set-up on a fresh machine:
#   make demo   scan the sample corpus with the shipped model into results/
#   make test   run the test suite and the linter
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench corpus clean

$(STAMP): pyproject.toml setup.py policyscan/pdf/native.c
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@command -v tesseract >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-nld >/dev/null 2>&1; } \
		|| echo "tesseract-ocr not installed: install tesseract-ocr and tesseract-ocr-nld to read image-only PDFs (--ocr)"
	@$(PY) -m spacy download nl_core_news_md >/dev/null 2>&1 \
		&& echo "installed nl_core_news_md" \
		|| echo "nl_core_news_md not reachable: policyscan uses spaCy's blank Dutch pipeline with rules"
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/policyscan scan corpus/ --manifest corpus/manifest.csv -o results/ --jobs 2; \
	status=$$?; [ $$status -le 1 ] || exit $$status; \
	echo "open results/report.html (the sample corpus has one image-only and one damaged PDF on purpose)"

# The fast suite, then the slow tests (retraining the shipped model, installing the wheel), then ruff;
# every step runs even when one before it fails, and the target fails when any of them did.
test: setup
	@status=0; \
	$(PY) -m pytest -q || status=1; \
	$(PY) -m pytest -q -m slow || status=1; \
	$(VENV)/bin/ruff check . || status=1; \
	exit $$status

corpus: setup
	$(PY) scripts/build_corpus.py

# Speed against pdftotext (poppler-utils, installed here when run as root with apt-get) and bare pypdfium2,
# at 200 and 2,000 pages; the figures go to benchmarks/results/.
bench: setup
	@command -v pdftotext >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null 2>&1; } \
		|| echo "pdftotext not installed: install poppler-utils to compare with it"
	$(PY) benchmarks/bench.py --pages 200
	$(PY) benchmarks/bench.py --pages 2000 --repeat 1

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) results .pytest_cache

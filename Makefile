# Two commands do everything from a fresh clone (Python 3.11 on PATH as python3):
#   make book   -> creates .venv if missing, installs requirements, builds the HTML book in _build/html
#   make test   -> creates .venv if missing, installs requirements, runs unit tests + nbval on every notebook
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: book test venv notebooks benchmark lint clean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

test: $(STAMP)
	TQDM_DISABLE=1 $(PY) -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg tests book

# Re-execute every notebook in place and store its outputs (run after editing a chapter).
notebooks: $(STAMP)
	TQDM_DISABLE=1 $(PY) scripts/execute_notebooks.py $(NB)

# Wall time and peak memory of each notebook, the test suite and the book build.
benchmark: $(STAMP)
	$(PY) scripts/benchmark.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf _build

# Two commands do everything from a fresh clone (Python 3.11 on PATH as python3):
#   make book   -> creates .venv if missing, installs requirements, builds the HTML book in _build/html
#   make test   -> creates .venv if missing, installs requirements (and Debian's chromium when it is
#                  missing, for the offline-rendering test), runs unit tests + nbval on every notebook,
#                  then nbval on every notebook again with generic CPU kernels
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JB     := $(VENV)/bin/jupyter-book

.PHONY: book test test-generic test-threads venv chromium notebooks benchmark lint pdf pdf-latex binder-check readers clean mutation

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The book shows the outputs stored in the notebooks (execute_notebooks: "off"); any warning fails.
book: $(STAMP)
	$(JB) build . -W -n --keep-going

# tests/test_book_html.py opens the built book in headless chromium (installed here if missing).
chromium:
	bash scripts/install_chromium.sh

# Two passes; make stops at the first that fails, so a failure in either fails `make test`.
# 1. unit tests + every notebook with this CPU's own kernels and one torch thread (as stored);
# 2. the notebooks again as another computer would run them: torch's generic (non-vectorised)
#    ATen kernels and MKL's conditional-numerical-reproducibility path for any x86 CPU.
# Two torch threads as well fit no 10-minute budget on 2 cores (two 2-thread kernels on 2 cores:
# over 7 minutes for that pass alone), so `make test-threads` runs that third setting separately.
NBVAL   := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
GENERIC := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE

test: $(STAMP) chromium
	TQDM_DISABLE=1 $(PY) -m pytest -n 2 --dist loadfile $(NBVAL) tests book
	TQDM_DISABLE=1 $(GENERIC) $(PY) -m pytest -n 2 --dist loadfile $(NBVAL) book

# Only the second pass of `make test` (generic kernels), e.g. after editing a chapter.
test-generic: $(STAMP)
	TQDM_DISABLE=1 $(GENERIC) $(PY) -m pytest -n 2 --dist loadfile $(NBVAL) book

# Every notebook with generic kernels AND two torch threads per kernel, one kernel at a time
# (about 5 minutes on 2 cores; not part of `make test`, see above).
test-threads: $(STAMP)
	TQDM_DISABLE=1 $(GENERIC) VAE_TUTORIAL_THREADS=2 $(PY) -m pytest -n 1 --dist loadfile $(NBVAL) book

# Re-execute notebooks in place and store their outputs (run after editing a chapter).
notebooks: $(STAMP)
	TQDM_DISABLE=1 $(PY) scripts/execute_notebooks.py $(NB)

# Reader copies of the chapters (readers/, opened by the Binder and Colab buttons): plain Markdown
# instead of MyST, solutions folded. Run after editing a chapter; tests/test_reader_copies.py checks.
readers: $(STAMP)
	$(PY) scripts/make_reader_copies.py

# Wall time and peak memory of each notebook and of the book build, as a Markdown table.
# Add the test suite with `make benchmark BENCH_ARGS=--tests` (it runs `make test`: slow).
benchmark: $(STAMP)
	$(PY) scripts/benchmark.py $(BENCH_ARGS)

# The book as a PDF without TeX: the single-page HTML build (_build/singlehtml) printed by headless
# Chromium once MathJax has typeset every equation -> _build/pdf/vae-likelihood-book.pdf.
pdf: $(STAMP) chromium
	$(PY) scripts/print_pdf.py

# The book as a PDF via XeLaTeX in _build/latex/vae-likelihood-book.pdf. Needs Debian's TeX Live:
#   apt-get install texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
#     texlive-fonts-extra texlive-xetex texlive-plain-generic latexmk fonts-freefont-otf tex-gyre lmodern
pdf-latex: $(STAMP)
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null || { \
	  echo "make pdf-latex needs xelatex and latexmk (see the apt-get line in the Makefile)" >&2; exit 1; }
	$(JB) build . --builder pdflatex

# The reader's Binder environment (binder/): fresh venv, headless Jupyter server, one chapter run
# through its kernel. Not part of `make test`: it downloads JupyterLab (see scripts/binder_check.py).
binder-check: $(STAMP)
	$(PY) scripts/binder_check.py $(BINDER_ARGS)

# Mutation testing with mutmut (slow; not part of `make test`): one module at a time, unit tests
# only (the list in pyproject.toml [tool.mutmut]; no notebooks, no browser), at the lowest CPU
# priority. MODULE is data, representations, likelihoods, objectives, evaluation, training or
# priors, e.g. `make mutation MODULE=objectives`. Prints the score; equivalent mutants are listed
# with reasons in tests/mutation_equivalent.txt. mutmut keeps its state in mutants/ (git-ignored).
MODULE ?= data
mutation: $(STAMP)
	TQDM_DISABLE=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 19 $(VENV)/bin/mutmut run "vae_tutorial.$(MODULE).*"
	$(PY) scripts/mutation_score.py $(MODULE)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf _build

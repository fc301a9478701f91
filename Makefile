# The two commands of README.md:  `make book`  and  `make test`.
# Both create the virtual environment in .venv/ first, from the pinned requirements-dev.txt (which
# starts with `-r requirements.txt`, the readers' and Binder's environment, and adds the test, lint
# and PDF tools). `make test` also creates .venv/reader/ from requirements.txt alone, where the
# JupyterLab tests run the server and the kernels, as Binder would.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -c1-12)
JB_FLAGS := -W -n --keep-going

READER_VENV := $(VENV)/reader
READER_STAMP := $(READER_VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)

CFF_VENV := $(VENV)/cff
CFF_STAMP := $(CFF_VENV)/.installed-$(shell cat requirements-cff.txt | sha256sum | cut -c1-12)

.PHONY: book test venv reader-venv lint clean linkcheck system-deps bench cff lint-workflows refresh pdf

book: $(STAMP) ## Build the HTML book (strict: any warning or failing cell fails the build)
	@echo "==> Building the book (executes the chapters; cached runs are reused while code and data are unchanged)"
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "==> The book is in $(CURDIR)/_build/html/index.html"

# The PDF edition: the book built as one page (strict), printed by Debian's Chromium (never a
# downloaded browser, no TeX), then the site rebuilt so the landing page links the PDF.
pdf: system-deps $(STAMP) ## Write the whole book as one PDF: _build/pdf/the-race.pdf, linked from the site
	$(BIN)/python -m tokenrace.book.edition

test: system-deps $(STAMP) ## Lint, then run the whole test suite (includes one strict book build)
	@echo "==> ruff"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "==> lint-imports (the stages import downward only: ARCHITECTURE.md)"
	$(BIN)/lint-imports
	@$(MAKE) --no-print-directory cff
	@$(MAKE) --no-print-directory reader-venv
	@$(MAKE) --no-print-directory lint-workflows
	@echo "==> pytest"
	$(BIN)/python -m pytest

# Offline checks of .github/workflows/: the GitHub workflow schema (vendored in check-jsonschema)
# and zizmor's security audits, failing on any finding of medium or high severity.
lint-workflows: $(STAMP) ## Check the GitHub workflows (schema and security; offline)
	@echo "==> workflows: schema and zizmor"
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --min-severity medium .github/workflows/

# The weekly refresh (the workflow .github/workflows/refresh.yml runs this): fetch the new weeks
# into snapshots/END/ ($$OPENROUTER_API_KEY), validate, point snapshot.yml at them, build the book,
# and write the pull request's body to _build/refresh/pr-body.md. REFRESH_ARGS: e.g. --no-build.
refresh: $(STAMP) ## Fetch new weeks, validate, build, diff (needs OPENROUTER_API_KEY)
	$(BIN)/python -m tokenrace refresh $(REFRESH_ARGS)

# The browser tests (pytest -m browser) drive Debian's Chromium through Playwright; a browser is
# never downloaded (`playwright install` is not used). Installed only when it is missing.
system-deps: ## Install the browser tests' system packages (Debian chromium, fonts) if missing
	@if [ -x /usr/bin/chromium ]; then \
	  echo "==> /usr/bin/chromium is installed"; \
	else \
	  echo "==> Installing chromium and fonts-dejavu-core with apt-get"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-dejavu-core; \
	fi

# Sphinx's linkcheck builder on the book; the report is _build/linkcheck/output.txt. (It runs as a
# "custom" builder: `--builder linkcheck` would write its report into _build/html/.) Not part of
# `make test`, and it never fails make (note the leading '-'): CI has no network, so there every
# external link is reported broken. Run it where the network is available and read the report.
linkcheck: $(STAMP) ## Check the book's links (non-blocking; needs network for external links)
	-$(BIN)/jupyter-book build . --builder custom --custom-builder linkcheck
	@echo "==> Link report: $(CURDIR)/_build/linkcheck/output.txt"

bench: $(STAMP) ## Time builds against a bare Jupyter Book, and the data work at scale (a few minutes)
	$(BIN)/python benchmarks/bench.py --runs 3 $(BENCH_ARGS)

venv: $(STAMP)

# The readers' environment alone (requirements.txt, ending in `-e .`: what Binder installs), inside
# .venv/ so it goes when .venv/ is recreated. The JupyterLab tests (tests/labserver.py) run the
# server and the kernels here, so a runtime requirement missing from requirements.txt fails them.
reader-venv: $(STAMP) ## Create .venv/reader from requirements.txt alone (the JupyterLab tests use it)
	@if [ ! -f $(READER_STAMP) ]; then \
	  echo "==> Creating $(READER_VENV) from requirements.txt (pinned; the readers' environment)"; \
	  rm -rf $(READER_VENV); \
	  $(PYTHON) -m venv $(READER_VENV); \
	  $(READER_VENV)/bin/python -m pip install --quiet --upgrade pip; \
	  $(READER_VENV)/bin/python -m pip install --progress-bar off -r requirements.txt; \
	  touch $(READER_STAMP); \
	fi

# cffconvert needs jsonschema<4, Jupyter needs jsonschema 4: it gets its own small environment
# inside .venv/ (so it goes when .venv/ is recreated), from the pinned requirements-cff.txt. The
# check runs in the recipe, not as a make prerequisite, because recreating .venv/ removes it.
cff: $(STAMP) ## Validate CITATION.cff against the Citation File Format schema
	@if [ ! -f $(CFF_STAMP) ]; then \
	  echo "==> Creating $(CFF_VENV) from requirements-cff.txt (pinned)"; \
	  rm -rf $(CFF_VENV); \
	  $(PYTHON) -m venv $(CFF_VENV); \
	  $(CFF_VENV)/bin/python -m pip install --quiet --progress-bar off -r requirements-cff.txt; \
	  touch $(CFF_STAMP); \
	fi
	@echo "==> cffconvert --validate"
	$(CFF_VENV)/bin/cffconvert --validate -i CITATION.cff

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@echo "==> Creating $(VENV) from requirements-dev.txt (pinned; includes requirements.txt)"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -r requirements-dev.txt
	touch $@

clean: ## Remove the build output (keeps .venv)
	rm -rf _build

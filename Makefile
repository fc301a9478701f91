# The two commands of README.md:  `make book`  and  `make test`.
# Both create the virtual environment in .venv/ from the pinned requirements.txt first.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)
JB_FLAGS := -W -n --keep-going

.PHONY: book test venv lint clean linkcheck system-deps bench pdf

book: $(STAMP) ## Build the HTML book (strict: any warning or failing cell fails the build)
	@echo "==> Building the book (executes the chapters; cached runs are reused while code and data are unchanged)"
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "==> The book is in $(CURDIR)/_build/html/index.html"

# The PDF edition: the book built as one page (strict), printed by Debian's Chromium (never a
# downloaded browser, no TeX), then the site rebuilt so the landing page links the PDF.
pdf: system-deps $(STAMP) ## Write the whole book as one PDF: _build/pdf/the-race.pdf, linked from the site
	$(BIN)/python -m tokenrace.edition

test: system-deps $(STAMP) ## Lint, then run the whole test suite (includes one strict book build)
	@echo "==> ruff"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "==> pytest"
	$(BIN)/python -m pytest

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

$(STAMP): requirements.txt pyproject.toml
	@echo "==> Creating $(VENV) from requirements.txt (pinned)"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -r requirements.txt
	touch $@

clean: ## Remove the build output (keeps .venv)
	rm -rf _build

# The two commands of README.md:  `make book`  and  `make test`.
# Both create the virtual environment in .venv/ from the pinned requirements.txt first.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)
JB_FLAGS := -W -n --keep-going

.PHONY: book test venv lint clean

book: $(STAMP) ## Build the HTML book (strict: any warning or failing cell fails the build)
	@echo "==> Building the book (executes the chapters; cached runs are reused while code and data are unchanged)"
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "==> The book is in $(CURDIR)/_build/html/index.html"

test: $(STAMP) ## Lint, then run the whole test suite (includes one strict book build)
	@echo "==> ruff"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "==> pytest"
	$(BIN)/python -m pytest

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

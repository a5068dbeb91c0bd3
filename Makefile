# The README's two commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml web/package-lock.json | sha256sum | cut -c1-12)
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test bench clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml web/package-lock.json
	$(BIN)/pip install --quiet -e '.[test]'
	npm ci --prefix web --no-audit --no-fund
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/xianfeng init
	$(BIN)/xianfeng demo
	$(BIN)/xianfeng serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check engine forms web tests bench
	$(BIN)/ruff format --check engine forms web tests bench
	$(BIN)/mypy engine forms
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/step_bench.py

clean-venv:
	rm -rf $(VENV)

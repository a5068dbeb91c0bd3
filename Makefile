# The README's two commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml setup.py web/package-lock.json | sha256sum | cut -c1-12)
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run test browser-deps pdf-deps bench clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml setup.py web/package-lock.json
	$(BIN)/pip install --quiet -e '.[test]'
	npm ci --prefix web --no-audit --no-fund
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The browser bundles (web/src → web/static/dist), rebuilt when a source or the lock file changes.
ASSETS := web/static/dist/.built
$(ASSETS): $(STAMP) web/build.mjs web/.bpmnlintrc $(wildcard web/src/* web/src/*/*)
	npm run --silent build --prefix web
	touch $(ASSETS)

run: $(STAMP) $(ASSETS) pdf-deps
	$(BIN)/xianfeng init
	$(BIN)/xianfeng demo
	$(BIN)/xianfeng serve --host $(HOST) --port $(PORT)

test: $(STAMP) $(ASSETS) browser-deps pdf-deps
	$(BIN)/ruff check engine forms web tests bench
	$(BIN)/ruff format --check engine forms web tests bench
	$(BIN)/mypy engine forms
	$(BIN)/python -m pytest -q

# tests/browser drive Debian's Chromium (never a Playwright download). Install it when missing, and a
# CJK font so that screenshots show Chinese rather than boxes (the tests do not depend on fonts).
# Without apt, or without root and password-less sudo, say why: the browser tests then skip.
browser-deps:
	@need=""; \
	[ -x /usr/bin/chromium ] || need=" chromium"; \
	command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -q . || need="$$need fonts-noto-cjk"; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "browser tests: cannot install$$need (no apt-get here); tests needing /usr/bin/chromium will skip"; exit 0; \
	fi; \
	sudo=""; \
	if [ "$$(id -u)" != 0 ]; then \
		if sudo -n true 2>/dev/null; then sudo="sudo -n"; else \
			echo "browser tests: cannot install$$need (not root, no password-less sudo); they may skip"; exit 0; \
		fi; \
	fi; \
	echo "browser tests: installing$$need with apt-get"; \
	{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$need; } \
		|| echo "browser tests: apt-get could not install$$need; tests needing /usr/bin/chromium will skip"

# Printed evidence (dossiers, 审批表) is laid out by WeasyPrint, which loads Pango, HarfBuzz and
# fontconfig when it starts and draws Chinese in a CJK font. Chromium's packages happen to bring
# them; a server without a browser may lack them. Install what is missing, or say why PDFs fail.
PDF_LIBS := libpango-1.0.so.0=libpango-1.0-0 libpangoft2-1.0.so.0=libpangoft2-1.0-0 \
	libharfbuzz-subset.so.0=libharfbuzz-subset0 libfontconfig.so.1=libfontconfig1
pdf-deps:
	@need=""; \
	for pair in $(PDF_LIBS); do ldconfig -p 2>/dev/null | grep -q "$${pair%%=*}" || need="$$need $${pair##*=}"; done; \
	command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -q . || need="$$need fonts-noto-cjk"; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "PDF documents: cannot install$$need (no apt-get here); PDF downloads will fail"; exit 0; \
	fi; \
	sudo=""; \
	if [ "$$(id -u)" != 0 ]; then \
		if sudo -n true 2>/dev/null; then sudo="sudo -n"; else \
			echo "PDF documents: cannot install$$need (not root, no password-less sudo); PDF downloads will fail"; exit 0; \
		fi; \
	fi; \
	echo "PDF documents: installing$$need with apt-get"; \
	{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$need; } \
		|| echo "PDF documents: apt-get could not install$$need; PDF downloads will fail"

bench: $(STAMP) $(ASSETS)
	$(BIN)/python bench/step_bench.py
	$(BIN)/python bench/http_bench.py

clean-venv:
	rm -rf $(VENV)

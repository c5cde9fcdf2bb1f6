# Two commands on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app.py

.PHONY: run test lint audit setup translations translations-update bench clean editor-assets

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel -q compile -d translations

setup: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(FLASK) lms import
	$(FLASK) lms demo

run: setup
	$(FLASK) run --host $(HOST) --port $(PORT)

# Tests run in parallel, one worker per core (TEST_WORKERS=0 runs them in this process). Bytecode
# is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE): otherwise every worker
# compiles the app and rewrites the asserts of every test module again (~10 s each).
TEST_WORKERS ?= auto
test: $(VENV)/.dev translations
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup

# Style (ruff check and format), types of the pure modules (mypy) and a static security scan
# (bandit settings and its one skip: pyproject.toml).
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -r lms -c pyproject.toml

# Known vulnerabilities in the pinned requirements and in the installed packages. Exit 0: all
# checked, none known; 1: vulnerable packages listed; 3: NOT CHECKED (no vulnerability database
# reachable), never reported as a pass.
audit: $(VENV)/.dev
	$(PY) .ci/audit_dependencies.py requirements.txt $(VENV)/bin/pip-audit

bench: $(VENV)/.dev
	$(PY) bench/import_content.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# After changing user-facing strings: extract them and merge into both catalogs.
translations-update: $(VENV)/.runtime
	PYTHONPATH=. $(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output -o translations/messages.pot lms templates
	$(VENV)/bin/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# The authoring editor's CodeMirror 6 bundle (static/vendor/codemirror/editor.js and LICENSE.txt)
# is committed, so run and test need no Node. After changing editor/src or editor/package.json:
editor-assets:
	cd editor && npm ci --no-audit --no-fund && npm run build

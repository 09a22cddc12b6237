# Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The official compiled EN 16931 + Peppol BIS 3 rules shipped beside the repository.
EINVOICE_RULES_DIR ?= $(abspath ../shared/validation/peppol-bis3-2026.5)
export EINVOICE_RULES_DIR

.PHONY: setup run test check browser fonts bench clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# var/ holds the local state of development runs (SQLite database, embedded broker, mail, SMS);
# the settings only name it, importing them writes nothing.
setup: $(STAMP)
	mkdir -p var

# Set up, migrate, load demo data, and start web + worker + beat on the embedded defaults.
# `make run PORT=8203` serves on another port; links in emails and SMS follow it.
PORT ?= 8000
HOST ?= 127.0.0.1
run: export SITE_URL ?= http://$(HOST):$(PORT)
# Development only: debug on (production leaves DJANGO_DEBUG unset or 0, see README).
run: export DJANGO_DEBUG ?= 1
run: setup fonts
	$(PY) manage.py run_all --check-port $(HOST):$(PORT)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py run_all $(HOST):$(PORT)

# Debian's Chromium (and a font) for the browser tests; Playwright never downloads a browser here.
BROWSER_PACKAGES := chromium fonts-dejavu-core
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES); fi; }

# The Unicode TrueType font every PDF embeds (Sámi letters, €, typographic quotes): Debian's
# DejaVu, read from PDF_FONT_DIR (default /usr/share/fonts/truetype/dejavu).
FONT_PACKAGES := fonts-dejavu-core
PDF_FONT_DIR ?= /usr/share/fonts/truetype/dejavu
fonts:
	@test -f $(PDF_FONT_DIR)/DejaVuSans.ttf -a -f $(PDF_FONT_DIR)/DejaVuSans-Bold.ttf || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES); \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES); fi; }

# Set up and run the whole test suite (unit, integration with a real worker, browser) against
# the machine's PostgreSQL and Redis, as CI does; override the URLs to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_BROKER_URL ?= redis://127.0.0.1:6379/0
test: export DATABASE_URL ?= $(TEST_DATABASE_URL)
test: export CELERY_BROKER_URL ?= $(TEST_BROKER_URL)
test: setup browser fonts
	$(VENV)/bin/pytest

check: export DJANGO_DEBUG ?= 1
check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

# Benchmarks measure against the real services: PostgreSQL and (for sending) Redis.
bench: export DATABASE_URL ?= $(TEST_DATABASE_URL)
bench: export CELERY_BROKER_URL ?= $(TEST_BROKER_URL)
bench: export DJANGO_DEBUG ?= 1
bench: setup
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf var staticfiles

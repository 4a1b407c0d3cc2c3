# Consultrack. `make` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Tests run against the local PostgreSQL and Redis; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/consultrack
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
# `make test` runs two pytest processes side by side (one per core), each on its own database and Redis
# database: the browser, worker, benchmark and permission-matrix tests in one, all the others in the other.
TEST_DATABASE_URL_2 ?= postgres://postgres@127.0.0.1:5432/consultrack_2
TEST_BROKER_URL_2 ?= redis://127.0.0.1:6379/14
SLOW_TESTS := tests/e2e tests/test_bench.py tests/test_permission_matrix.py tests/test_celery_worker.py \
  tests/test_export_worker.py tests/test_notifications_worker.py tests/test_webhooks_worker.py \
  tests/test_campaigns_worker.py tests/test_reminders_concurrency.py tests/test_faults.py
TEST_ENV := DEBUG=false SECRET_KEY=test-secret-key-not-for-production-0123456789abcdefghijklmnop \
  SECURE_SSL_REDIRECT=false DJANGO_ALLOW_ASYNC_UNSAFE=true
# make bench: this database is dropped and made again, then filled with BENCH_RESPONSES synthetic responses.
BENCH_RESPONSES ?= 200000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/consultrack_bench
BENCH_CACHE_URL ?= redis://127.0.0.1:6379/14

.DEFAULT_GOAL := help
.PHONY: help run test bench lint format services chromium java fonts gettext messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.runtime: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(BIN)/.dev: requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(BIN)/.runtime $@

run: $(BIN)/.runtime gettext ## Start the app on SQLite with demo data (eager tasks, console e-mail)
	@mkdir -p var
	DEBUG=true $(BIN)/python manage.py compilemessages --verbosity 0
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	@DEBUG=true $(BIN)/python manage.py seed_demo
	@echo "Consultrack: http://127.0.0.1:$(PORT)/  (log in with a demo login above; Ctrl-C stops)"
	DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

services: ## Make sure PostgreSQL and Redis answer, starting them when they do not
	@bash scripts/ensure-services.sh

chromium: ## Install Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

gettext: ## Install GNU gettext (msgfmt, which compiles the translations) when it is missing
	@command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; } \
	  || { echo "msgfmt is missing: install GNU gettext (apt install gettext, brew install gettext)"; exit 1; }

messages: $(BIN)/.runtime gettext ## Extract the UI strings into locale/fr/LC_MESSAGES/django.po, keeping the translations, and list what needs translating
	DEBUG=true $(BIN)/python manage.py makemessages --locale fr --no-obsolete --verbosity 0
	@msgattrib --only-fuzzy locale/fr/LC_MESSAGES/django.po; msgattrib --untranslated locale/fr/LC_MESSAGES/django.po
	@msgfmt --check --statistics --output-file /dev/null locale/fr/LC_MESSAGES/django.po

java: ## Install a Java runtime for the HTML checker (vnu) when it is missing
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq default-jre-headless; }

# axe-core and the Nu Html Checker, at the versions in package-lock.json. --ignore-scripts: vnu-jar's install
# script would fetch a JDK from GitHub when it finds no Java; the `java` target provides one instead.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm; }
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

fonts: ## Install fonts covering Latin, Arabic and CJK scripts, and HarfBuzz's subsetter (for PDF packs), when missing
	@fc-list 2>/dev/null | grep -q "Noto Sans CJK" && fc-list | grep -q "Noto Sans Arabic" && fc-list | grep -q "DejaVu Sans" \
	  && /sbin/ldconfig -p | grep -q libharfbuzz-subset \
	  || { apt-get update -qq && apt-get install -y -qq fonts-dejavu-core fonts-noto-core fonts-noto-cjk libharfbuzz-subset0; }

test: $(BIN)/.dev node_modules/.installed services chromium java fonts gettext ## Run the whole suite (PostgreSQL, Redis, Celery worker, Chromium)
	DEBUG=true $(BIN)/python manage.py compilemessages --verbosity 0
	DEBUG=true $(BIN)/python manage.py collectstatic --no-input --verbosity 0
ifneq ($(strip $(PYTEST_ARGS)),)
	$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/pytest $(PYTEST_ARGS)
else
	@mkdir -p var; echo "pytest: two processes; their logs follow when both are done (var/test-*.log)"
	@$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	  $(BIN)/pytest $(SLOW_TESTS) > var/test-browser-and-workers.log 2>&1 & slow=$$!; \
	$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL_2) CELERY_BROKER_URL=$(TEST_BROKER_URL_2) \
	  $(BIN)/pytest $(addprefix --ignore=,$(SLOW_TESTS)) > var/test-others.log 2>&1 & others=$$!; \
	wait $$slow; slow_status=$$?; wait $$others; others_status=$$?; \
	cat var/test-browser-and-workers.log var/test-others.log; \
	echo "browser, worker, benchmark and permission tests: exit $$slow_status; all other tests: exit $$others_status"; \
	test $$slow_status -eq 0 -a $$others_status -eq 0
endif

bench: $(BIN)/.runtime services fonts ## Benchmark pages, packs and reminders at BENCH_RESPONSES responses; writes bench/RESULTS.md
	$(BIN)/python bench/run.py --responses $(BENCH_RESPONSES) --database-url $(BENCH_DATABASE_URL) \
	  --cache-url $(BENCH_CACHE_URL) $(BENCH_ARGS)

lint: $(BIN)/.dev ## Run ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.dev ## Fix what ruff can fix and format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove the virtualenv and local data under var/
	rm -rf $(VENV) var node_modules

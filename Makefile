# AIVenger — every target installs what it needs first (a venv in .venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo run worker cleanup test lint format migration migrate

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the bot with its dev tools

demo: $(STAMP) ## Try the bot in a browser chat: no token, no configuration (Ctrl-C stops)
	$(BIN)/python -m bot playground

run: $(STAMP) ## Run the bot (polling; SQLite + local disk by default; reads .env)
	$(BIN)/python -m bot

worker: $(STAMP) ## Run a worker process only (no polling)
	$(BIN)/python -m bot worker

cleanup: $(STAMP) ## Report and remove orphan blobs and stale rows
	$(BIN)/python -m bot cleanup

test: $(STAMP) ## Run the whole test suite (SQLite, PostgreSQL at 127.0.0.1:5432, local S3)
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP) ## ruff, ruff format --check, mypy --strict, hadolint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP) ## Apply migrations (the bot also does this on start)
	$(BIN)/alembic upgrade head

migration: $(STAMP) ## Autogenerate a migration: make migration m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"

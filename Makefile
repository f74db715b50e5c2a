# All set-up lives here so that a fresh clone needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: venv demo test lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24" 
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# The demo reads the committed sample log (sample_logs/generate.py rewrites it from the benchmark).
demo: venv
	$(BIN)/codex-router-tui --demo

lint: venv
	$(BIN)/ruff check .

test: venv
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Figures for the closing notes; the routing ones read ../shared/data/coderouterbench.
bench: venv
	$(BIN)/codex-router bench --split id
	$(BIN)/codex-router bench --split ood --routers oracle,always,dimension-best,linucb,acrouter,acrouter-no-memory
	$(BIN)/python benchmarks/bench_replay.py
	$(BIN)/python benchmarks/bench_classifier.py
	$(BIN)/python benchmarks/bench_decision.py
	$(BIN)/python benchmarks/bench_route_cli.py
	$(BIN)/python benchmarks/bench_ingest.py --lines 1000000
	$(BIN)/python benchmarks/bench_tui.py
	$(BIN)/python benchmarks/bench_hook.py
	$(BIN)/python benchmarks/whatif_validation.py
	$(BIN)/python benchmarks/hindsight_frontier.py --split ood
	$(BIN)/python benchmarks/knn_ceiling.py --split ood

clean:
	rm -rf $(VENV) *.egg-info

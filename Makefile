# make demo: install into .venv and run the Tour on data/; make test: install and test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WS := $(VENV)/bin/wordseq
OUT ?= out
export WORDSEQ_HOME ?= $(abspath $(OUT))/home

.PHONY: install demo readme test test-docs test-processes test-slow lint bench clean

install: $(VENV)/.installed

# torch first, pinned: the machines carry a CPU wheel of 2.13.0; a bare 'torch' would
# pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,plot,lint,cluster,export]'
	touch $@

# the Tour (scripts/tour.py): every capability on the shipped data, a few minutes on 2 cores
demo: install
	$(PY) scripts/tour.py --out $(OUT)

# copy the last demo's out/tour.md (commands and their real output) into README.md
readme: install
	$(PY) scripts/tour.py --readme --out $(OUT)

# the fast suite: two processes (CI has 2 cores); tests set one torch thread each.
# PYTHONDONTWRITEBYTECODE cleared: with it set, every run and each worker recompiled the
# sources and pytest's assertion-rewritten tests (about 3 s of CPU per worker)
test: install
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -q -n 2

# the documentation run as a user runs it: the README's Python blocks and pipelines, the
# reduced Tour, examples/quickstart.py and the end-to-end CLI pipeline (a few minutes)
test-docs: install
	$(PY) -m pytest -q -n 2 --dist loadgroup -m docs

# tests that start real process groups (Dask scheduler and workers, torch gloo ranks) or
# kill or starve a whole wordseq process:
# mostly process start-up, so kept out of the fast suite
test-processes: install
	$(PY) -m pytest -q -n 2 -m processes

test-slow: install
	$(PY) -m pytest -q -m slow

lint: install
	$(VENV)/bin/ruff check wordseq tests benchmarks examples scripts
	$(VENV)/bin/mypy

bench: install
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(OUT)

# make demo: install into .venv and run the pipeline on data/; make test: install and test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
WS := $(VENV)/bin/wordseq
OUT ?= out
export WORDSEQ_HOME ?= $(abspath $(OUT))/home

.PHONY: install demo test test-slow lint bench clean

install: $(VENV)/.installed

# torch first, pinned: the machines carry a CPU wheel of 2.13.0; a bare 'torch' would
# pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,plot,lint]'
	touch $@

demo: install
	@mkdir -p $(OUT)
	@echo "== tokenize (lemmatized) ==" && $(WS) tokenize data/lee_background.txt --lemmatize -o $(OUT)/tokens.txt && head -c 300 $(OUT)/tokens.txt && echo
	@echo "== vocabulary ==" && $(WS) vocab build data/lee_background.txt -o $(OUT)/vocab.tsv && $(WS) vocab show $(OUT)/vocab.tsv --top 10
	@echo "== embeddings ==" && $(WS) train-embeddings data/lee_background.txt --epochs 5 && $(WS) analogy king man woman --topn 3 && $(WS) similar government --topn 5
	@echo "== n-gram LM (order 3, modified Kneser-Ney) ==" && $(WS) ngram train data/lee_background.txt --order 3 -o demo-3gram && $(WS) ngram eval data/lee_test.txt -m demo-3gram && $(WS) generate -m demo-3gram --beam 5 --prompt "the"
	@echo "== neural LM (1-layer LSTM 64/64, 2 epochs) ==" && $(WS) lm train data/lee_background.txt -o demo --layers 1 --emb 64 --hidden 64 --epochs 2 --seed 1
	@echo "== lm eval ==" && $(WS) lm eval data/lee_test.txt -m demo
	@echo "== generate: beam 5 ==" && $(WS) generate -m demo --beam 5 --prompt "the" --max-tokens 20
	@echo "== generate: sampled ==" && $(WS) generate -m demo --prompt "the" --top-k 40 --num 2 --seed 1 --max-tokens 20
	@echo "== classify: sentiment (bow on MR, 3 epochs) ==" && $(WS) classify train --class pos=data/rt-polarity.pos.gz --class neg=data/rt-polarity.neg.gz --encoder bow --epochs 3 -o demo-mr && printf 'a gorgeous , witty , seductive movie .\nthe plot is dull and the acting is worse .\n' | $(WS) classify predict -m demo-mr --explain

# two processes (CI has 2 cores); tests set one torch thread each
test: install
	$(PY) -m pytest -q -n 2

test-slow: install
	$(PY) -m pytest -q -m slow

lint: install
	$(VENV)/bin/ruff check wordseq tests benchmarks examples scripts
	$(VENV)/bin/mypy

bench: install
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(OUT)

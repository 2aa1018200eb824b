#!/usr/bin/env bash
# How the golden ARPA files beside this script were made: KenLM's lmplz (kenlm 0.3.0
# from the package index, built by benchmarks/peers/kenlm.sh) on the short texts here,
# written for these tests. tests/test_ngram_golden.py trains wordseq on the same texts
# and compares every entry. Rerun after changing a text:
#   tests/data/kenlm/make_golden.sh
set -euo pipefail
cd "$(dirname "$0")"
LMPLZ="${LMPLZ:-${KENLM_HOME:-$HOME/.cache/wordseq-peers/kenlm}/bin/lmplz}"
# lmplz's progress log goes to a temporary file, shown only when a run fails
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
run() { out=$1; shift; "$LMPLZ" "$@" --arpa "$out" 2> "$LOG" || { cat "$LOG" >&2; return 1; }; }
run garden.o3.arpa          -o 3 --text garden.txt --discount_fallback
run garden.o2.arpa          -o 2 --text garden.txt --discount_fallback
run trains.o4.arpa          -o 4 --text trains.txt
run names.o5.arpa           -o 5 --text names.txt
run garden.o3.prune011.arpa -o 3 --text garden.txt --discount_fallback --prune 0 1 1
run trains.o4.prune001.arpa -o 4 --text trains.txt --prune 0 0 1
run trains.o4.prune012.arpa -o 4 --text trains.txt --prune 0 1 2
run garden.o3.vocab.arpa    -o 3 --text garden.txt --discount_fallback --limit_vocab_file vocab.txt
run trains.o3.vocab-prune.arpa -o 3 --text trains.txt --limit_vocab_file vocab.txt --prune 0 1

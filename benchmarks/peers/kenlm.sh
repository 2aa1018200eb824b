#!/usr/bin/env bash
# Build KenLM's lmplz, query and build_binary from the `kenlm` source distribution on the
# package index, into a scratch folder outside the repository (nothing of KenLM is
# committed). bench_ngram.py finds the binaries there.
#
#   benchmarks/peers/kenlm.sh            # builds into ${KENLM_HOME:-~/.cache/wordseq-peers/kenlm}
#   KENLM_HOME=/tmp/kenlm benchmarks/peers/kenlm.sh
#
# Needs cmake, a C++ compiler and the Boost / zlib / bz2 / lzma development packages; on
# Debian / Ubuntu, when run as root (or with APT_GET="sudo apt-get"), it installs them.
set -euo pipefail

KENLM_HOME="${KENLM_HOME:-$HOME/.cache/wordseq-peers/kenlm}"
KENLM_VERSION="${KENLM_VERSION:-0.3.0}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=build-helpers.sh
. "$ROOT/benchmarks/peers/build-helpers.sh"
DEBS="cmake g++ make libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev zlib1g-dev libbz2-dev liblzma-dev"

if [ -x "$KENLM_HOME/bin/lmplz" ] && [ -x "$KENLM_HOME/bin/query" ] && [ -x "$KENLM_HOME/bin/build_binary" ]; then
    echo "KenLM already built: $KENLM_HOME/bin"
    exit 0
fi

install_debs $DEBS

mkdir -p "$KENLM_HOME/src"
cd "$KENLM_HOME/src"
if [ ! -f "kenlm-$KENLM_VERSION.tar.gz" ]; then
    # --no-binary kenlm: the sdist with the whole C++ tree; build isolation off, so pip
    # does not compile cmake itself from source just to read the package's metadata.
    "$PYTHON" -m pip download --quiet --no-deps --no-build-isolation --no-binary kenlm "kenlm==$KENLM_VERSION"
fi
rm -rf "kenlm-$KENLM_VERSION"
tar xzf "kenlm-$KENLM_VERSION.tar.gz"
cmake -S "kenlm-$KENLM_VERSION" -B build -DCMAKE_BUILD_TYPE=Release -DCOMPILE_TESTS=OFF >/dev/null
cmake --build build --target lmplz query build_binary -j "$JOBS"
mkdir -p "$KENLM_HOME/bin"
cp build/bin/lmplz build/bin/query build/bin/build_binary "$KENLM_HOME/bin/"
echo "KenLM $KENLM_VERSION built: $KENLM_HOME/bin/{lmplz,query,build_binary}"

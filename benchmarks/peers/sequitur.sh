#!/usr/bin/env bash
# Build Sequitur G2P (Bisani & Ney 2008, joint-sequence models) from the `sequitur-g2p`
# source distribution on the package index, into a scratch folder outside the repository
# (nothing of Sequitur is committed). bench_seq2seq.py --peer sequitur runs it from there:
#
#   PYTHONPATH=$SEQUITUR_HOME/lib python $SEQUITUR_HOME/lib/g2p.py --help
#
#   benchmarks/peers/sequitur.sh            # builds into ${SEQUITUR_HOME:-~/.cache/wordseq-peers/sequitur}
#   SEQUITUR_HOME=/tmp/sequitur benchmarks/peers/sequitur.sh
#
# Needs swig and a C++ compiler (on Debian / Ubuntu, when run as root or with
# APT_GET="sudo apt-get", it installs them) and numpy in the Python it builds with (the
# repository's .venv has it). Its one other dependency, six, goes beside it.
#
# Release 1.0.1668.30 built with SWIG 4.x fails its first training iteration with
# "AttributeError: 'SwigPyObject' object has no attribute 'thisown'" ("failed to estimate
# or load model"). Upstream fixed it after that release (sequitur-g2p pull requests #111
# and #112: no `thisown` assignments in sequitur.py; `%newobject` on the functions that
# return new objects in sequitur.i); the same change is applied here before building.
# With NumPy 2 every ramp-up (model-2 and above) failed in its discount search:
# "`np.sometrue` was removed in the NumPy 2.0 release"; `numpy.any` is the same function.
set -euo pipefail

SEQUITUR_HOME="${SEQUITUR_HOME:-$HOME/.cache/wordseq-peers/sequitur}"
SEQUITUR_VERSION="${SEQUITUR_VERSION:-1.0.1668.30}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=build-helpers.sh
. "$ROOT/benchmarks/peers/build-helpers.sh"
DEBS="swig g++"

if [ -f "$SEQUITUR_HOME/lib/.wordseq-built" ] && PYTHONPATH="$SEQUITUR_HOME/lib" "$PYTHON" -c "import sequitur_, six" 2>/dev/null; then
    echo "Sequitur already built: $SEQUITUR_HOME/lib/g2p.py"
    exit 0
fi

install_debs $DEBS
"$PYTHON" -c "import numpy" || { echo "$PYTHON has no numpy: Sequitur's extension builds against it" >&2; exit 1; }

mkdir -p "$SEQUITUR_HOME/src"
cd "$SEQUITUR_HOME/src"
if [ ! -f "sequitur_g2p-$SEQUITUR_VERSION.tar.gz" ]; then
    # the sdist (C++ sources and the swig interface); build isolation off, so the build
    # uses this Python's numpy rather than fetching another
    "$PYTHON" -m pip download --quiet --no-deps --no-build-isolation --no-binary :all: "sequitur-g2p==$SEQUITUR_VERSION"
fi
rm -rf "sequitur_g2p-$SEQUITUR_VERSION"
"$PYTHON" -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall('.', filter='data')" "sequitur_g2p-$SEQUITUR_VERSION.tar.gz"
# upstream's fix for SWIG 4 (see the top of this file)
sed -i '/\.thisown = True$/d' "sequitur_g2p-$SEQUITUR_VERSION/sequitur.py"
sed -i 's/num\.sometrue(/num.any(/' "sequitur_g2p-$SEQUITUR_VERSION/sequitur.py"
sed -i 's/^%module sequitur_$/%module sequitur_\n%newobject EstimationGraphBuilder::create;\n%newobject EvidenceStore::makeSequenceModelEstimator;\n%newobject Translator::nBestInit;/' \
    "sequitur_g2p-$SEQUITUR_VERSION/sequitur.i"
rm -rf "$SEQUITUR_HOME/lib"
(cd "sequitur_g2p-$SEQUITUR_VERSION" && "$PYTHON" -m pip install --quiet --no-deps --no-build-isolation --target "$SEQUITUR_HOME/lib" .)
"$PYTHON" -m pip install --quiet --no-deps --upgrade --target "$SEQUITUR_HOME/lib" six
PYTHONPATH="$SEQUITUR_HOME/lib" "$PYTHON" -c "import sequitur_, six"
touch "$SEQUITUR_HOME/lib/.wordseq-built"
echo "Sequitur built: PYTHONPATH=$SEQUITUR_HOME/lib $PYTHON $SEQUITUR_HOME/lib/g2p.py"

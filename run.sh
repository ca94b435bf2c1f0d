#!/usr/bin/env bash
# Set up everything Retention Lab needs, then start the app or run the whole test suite.
#
#   ./run.sh app    install into .venv and open the app on the built-in sample scenario
#   ./run.sh test   install into .venv (and Chromium, PostgreSQL, HAProxy for the tests), run ruff, then every test
#   ./run.sh serve --processes 3   the app in 3 processes behind HAProxy, sharing one PostgreSQL (see README)
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV="${RETENTION_LAB_VENV:-.venv}"

need_python() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "Python 3.11 or newer is needed: install it, or set PYTHON=/path/to/python3.11" >&2
    exit 1
  fi
  if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "Python 3.11 or newer is needed; $PYTHON is $("$PYTHON" --version 2>&1)" >&2
    exit 1
  fi
}

setup_python() {
  need_python
  if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating $VENV ..."
    "$PYTHON" -m venv "$VENV"
  fi
  # reinstall only when the dependency list or the tested set changed
  local stamp="$VENV/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    echo "Installing dependencies into $VENV ..."
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # the tested set of every package (constraints.txt), with the extras for the tests and for Dask
    "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e ".[test,cluster]"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

setup_browser() {
  # Browser tests drive Debian's Chromium; Playwright's own browser download is not used.
  local chromium="${RETENTION_LAB_CHROMIUM:-/usr/bin/chromium}"
  if [ -x "$chromium" ]; then
    return
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium for the browser tests (apt-get) ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "Chromium was not found at $chromium. Install it (Debian/Ubuntu: sudo apt-get install chromium)" >&2
    echo "or set RETENTION_LAB_CHROMIUM to a Chromium binary; the browser tests fail without it." >&2
  fi
}

setup_servers() {
  # The storage tests run on Debian's PostgreSQL as well as SQLite; the deployment test and
  # ./run.sh serve put HAProxy in front of several app processes.
  local missing=()
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || command -v pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  if [ "${#missing[@]}" = "0" ]; then
    return
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} (apt-get) ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # the packaged cluster is not needed: the tests and ./run.sh serve start their own
    if command -v service >/dev/null 2>&1; then service postgresql stop >/dev/null 2>&1 || true; fi
  else
    echo "Not found: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]});" >&2
    echo "the PostgreSQL storage tests and the deployment test fail without them in CI." >&2
  fi
}

case "${1:-}" in
  app)
    setup_python
    shift
    # compiles the engine on the first start (several seconds), then only loads it
    "$VENV/bin/python" -m simulation compile
    # the browser's fonts (static/, served by Streamlit) from the installed font packages
    "$VENV/bin/python" -m ui.shared.fonts
    exec "$VENV/bin/python" -m streamlit run app.py "$@"
    ;;
  test)
    setup_python
    setup_browser
    setup_servers
    shift
    echo "ruff check ..."
    "$VENV/bin/ruff" check .
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  serve)
    setup_python
    setup_servers
    shift
    "$VENV/bin/python" -m simulation compile
    "$VENV/bin/python" -m ui.shared.fonts
    exec "$VENV/bin/python" deploy/serve.py "$@"
    ;;
  *)
    echo "usage: ./run.sh app | ./run.sh test [pytest options] | ./run.sh serve [--processes N] [--port P]" >&2
    exit 2
    ;;
esac

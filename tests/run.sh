#!/usr/bin/env bash
# Installs everything the tests need (Python packages, Debian's chromium, nginx, redis-server)
# and runs them all. Usage: bash tests/run.sh [pytest args...]
#   no arguments: ruff, then every tier, two tests at a time (core, api, live, browser);
#   with arguments: pytest -n 2 "$@"
#   (e.g. bash tests/run.sh -m core   — the fast tier; -m "api or live"; -k explorer).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian's ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# (re)install when pyproject.toml changed since the last install here
stamp="tests/artifacts/.installed"
want="$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open("pyproject.toml","rb").read()).hexdigest(), sys.executable)')"
mkdir -p tests/artifacts
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! python3 -c 'import app, pytest, playwright, ruff' 2>/dev/null; then
  echo "== installing the app and its test dependencies"
  python3 -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi

if [ $# -gt 0 ]; then
  exec python3 -m pytest -n 2 "$@"
fi
echo "== ruff"
python3 -m ruff check .
echo "== tests: core, api, live, browser (2 at a time)"
python3 -m pytest -n 2

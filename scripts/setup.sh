#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine: the package with its dev extra at the exact
# versions the suite passed with (constraints.txt), and Debian's Chromium + ChromeDriver for the
# explorer-page tests (a browser is never downloaded by a tool).
#   PYTHON=...       the interpreter to install into (default: python)
#   CONSTRAINTS=...  the pins to install with (default: constraints.txt; empty: the newest versions
#                    that pyproject.toml allows, as scripts/refresh_constraints.sh wants)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
CONSTRAINTS=${CONSTRAINTS-constraints.txt}
"$PYTHON" -m pip install -e ".[dev]" ${CONSTRAINTS:+-c "$CONSTRAINTS"}
# The browser runtime that `cvae-tf export --web` copies into a page (onnxruntime-web), from npm at the
# versions of web/package-lock.json, into web/node_modules (git-ignored).
if command -v npm >/dev/null; then
  npm ci --ignore-scripts --no-audit --no-fund --prefix web
else
  echo "setup.sh: npm missing (Debian: apt-get install npm); cvae-tf export --web needs web/node_modules" >&2
fi
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
elif [ "${CI:-}" = true ]; then
  echo "setup.sh: chromium / chromedriver are missing and apt-get cannot run here (needs root);" \
       "CI must run the browser tests, so this is an error" >&2
  exit 1
else
  echo "setup.sh: chromium / chromedriver missing and apt-get cannot run here (needs root);" \
       "install Debian's chromium and chromium-driver, or the page tests will be skipped" >&2
fi

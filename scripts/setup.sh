#!/usr/bin/env bash
# What the tests need on a fresh Debian machine: the package with its dev extra, and Debian's
# Chromium + ChromeDriver for the explorer-page test (a browser is never downloaded by a tool).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -e ".[dev]"
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
else
  echo "setup.sh: chromium / chromedriver missing and apt-get cannot run here (needs root);" \
       "install Debian's chromium and chromium-driver, or the page test will be skipped" >&2
fi

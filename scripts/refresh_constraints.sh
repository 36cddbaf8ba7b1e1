#!/usr/bin/env bash
# Moves the pins in constraints.txt forward on purpose: installs the newest versions that
# pyproject.toml allows into a fresh virtual environment (no pip cache), runs the whole suite with
# them, and writes constraints.txt only if it passes. Arguments go to pytest.
#   bash scripts/refresh_constraints.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python -m venv "$work/venv"
export PATH="$work/venv/bin:$PATH" PIP_NO_CACHE_DIR=1
PYTHON="$work/venv/bin/python" CONSTRAINTS="" bash scripts/setup.sh
"$work/venv/bin/python" -m pytest "$@"
{
  echo "# The exact versions the test suite passed with, on Python $("$work/venv/bin/python" -c 'import platform; print(platform.python_version())')."
  echo "# scripts/setup.sh installs with them; scripts/refresh_constraints.sh moves them forward."
  "$work/venv/bin/python" -m pip freeze --exclude-editable
} > "$work/constraints.txt"
mv "$work/constraints.txt" constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) pins"

#!/usr/bin/env bash
# Create a venv and install both distributions of this repository editable, with the test
# tools: the library kitty-fs (pyproject.toml, only kitty_fs) and the spec-kitty slice
# (packaging/spec-kitty-slice, owns specify_cli and `spec-kitty`). A no-op when nothing changed.
# PYTHON picks the interpreter (default python3), VENV the directory (default .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
stamp=$VENV/.kitty-setup-stamp
want=$(cat pyproject.toml packaging/spec-kitty-slice/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setup: creating $VENV ($PY) and installing kitty-fs + spec-kitty-slice with the test tools (one minute)..." >&2
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# --upgrade-strategy eager: the test job runs against the newest releases the ranges allow.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
  --upgrade-strategy eager -e '.[test,typer]' -e packaging/spec-kitty-slice
echo "$want" > "$stamp"

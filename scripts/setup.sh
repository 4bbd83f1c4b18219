#!/usr/bin/env bash
# Create a venv and install both distributions of this repository editable, with the test
# tools: the library kitty-fs (pyproject.toml, only kitty_fs) and the spec-kitty slice
# (packaging/spec-kitty-slice, owns specify_cli and `spec-kitty`). A no-op when nothing changed.
# PYTHON picks the interpreter (default: the venv's own if it exists, else python3), VENV the
# directory (default .venv); a venv of another Python than PYTHON is made anew.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ -n "${PYTHON:-}" ]; then
  PY=$PYTHON
  if [ -x "$VENV/bin/python" ] && [ "$("$VENV/bin/python" -VV)" != "$("$PY" -VV)" ]; then
    rm -rf "$VENV"
  fi
elif [ -x "$VENV/bin/python" ]; then
  PY=$VENV/bin/python
else
  PY=python3
fi
stamp=$VENV/.kitty-setup-stamp
want=$({ cat pyproject.toml packaging/spec-kitty-slice/pyproject.toml; "$PY" -VV; } | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setup: installing kitty-fs + spec-kitty-slice with the test tools into $VENV ($("$PY" -V)), one minute..." >&2
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# --upgrade-strategy eager: the test job runs against the newest releases the ranges allow.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade \
  --upgrade-strategy eager -e '.[test,typer]' -e packaging/spec-kitty-slice
echo "$want" > "$stamp"

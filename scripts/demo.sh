#!/usr/bin/env bash
# The README's first command: set up .venv, then show on a throwaway repository that read commands
# never dirty the worktree, that writes go through write commands only, and that mypy rejects a
# read command that writes. Exits non-zero when any shown property does not hold (a smoke test).
#
# Everything lives in two temp dirs (the repository, the state dir SPEC_KITTY_HOME): both are
# removed on exit, and the loopback reference server is stopped. KITTY_DEMO_KEEP=1 keeps the dirs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v git >/dev/null || { echo "demo: git is required (it is not on PATH)" >&2; exit 2; }
bash scripts/setup.sh
py="$PWD/.venv/bin/python"

work=$(mktemp -d "${TMPDIR:-/tmp}/kitty-demo.XXXXXX")
state=$(mktemp -d "${TMPDIR:-/tmp}/kitty-demo-state.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${KITTY_DEMO_KEEP:-}" = 1 ]; then
    echo "demo: kept $work and $state (KITTY_DEMO_KEEP=1)" >&2
  else
    rm -rf "$work" "$state"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The reference SaaS offers a newer binding_ref than the one the project will store (bind-001),
# so tracker reads find a pending upgrade. It prints its URL as the first line on stdout.
token="demo-token-$RANDOM$RANDOM"
"$py" -m specify_cli.saas_reference --port 0 --token "$token" --binding-ref bind-002 \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
url=""
for _ in $(seq 100); do
  if [ -s "$work/server.out" ] && [ "$(wc -l <"$work/server.out")" -ge 1 ]; then
    url=$(head -n 1 "$work/server.out")
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "demo: the reference server did not start:" >&2
  cat "$work/server.err" >&2
  exit 1
fi

KITTY_DEMO_WORK="$work" KITTY_DEMO_STATE="$state" KITTY_DEMO_SAAS_URL="$url" \
  KITTY_DEMO_SAAS_TOKEN="$token" "$py" scripts/demo.py

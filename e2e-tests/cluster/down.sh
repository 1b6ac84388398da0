#!/usr/bin/env bash
# Stops what e2e-tests/cluster/up.sh STATE started, newest first.
state=${1:?usage: down.sh STATE_DIR}
[ -f "$state/pids" ] || exit 0
tac "$state/pids" | while read -r pid name; do
  kill "$pid" 2>/dev/null && for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
done
rm -f "$state/pids"

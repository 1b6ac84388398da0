#!/usr/bin/env bash
# One closing line over everything a `make test` log shows: cargo's "test result:" lines, node's
# "# pass/# fail", the bats suites' TAP lines ("ok 3 name"; node's own TAP lines read "ok 3 - name" and are
# already counted), and each suite that skipped itself, with its reason. STATUS is make's exit status: a
# suite that stopped before its tests ran (a build or lint error) fails the line too. Exits 1 on failure.
#   e2e-tests/summary.sh LOG STATUS
set -euo pipefail
log=${1:?usage: summary.sh LOG STATUS} status=${2:?usage: summary.sh LOG STATUS}
skipped=$(grep -E '^[a-z].* skipped: ' "$log" | sed 's/ (README.*)$//' | paste -sd ';' - | sed 's/;/; /g' || true)
awk -v skipped="$skipped" -v status="$status" '
  /^test result:/ { p += $4; f += $6 } /^# pass / { p += $3 } /^# fail / { f += $3 }
  /^ok [0-9]+ [^-]/ { p += 1 } /^not ok [0-9]+ [^-]/ { f += 1 }
  END {
    printf "make test: %d passed, %d failed", p, f
    if (status != 0 && f == 0) printf " (but make stopped with status %d: see the error above)", status
    if (skipped != "") printf "; %s", skipped
    else printf "; no suite skipped"
    printf "\n"
    exit (f > 0 || status != 0)
  }' "$log"

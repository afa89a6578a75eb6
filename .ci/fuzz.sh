#!/usr/bin/env bash
# Runs every Fuzz target of the module for a short, bounded run each.
# FUZZTIME is an execution count ("10000x") by default: a duration races
# the Go 1.26 fuzz coordinator's deadline and can fail with a spurious
# "context deadline exceeded" (go.dev/issue/75804, fixed in Go 1.27).
set -euo pipefail
FUZZTIME=${FUZZTIME:-10000x}
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz $pkg $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -timeout 5m "$pkg" >/tmp/fuzz.$$.log 2>&1 || { cat /tmp/fuzz.$$.log; exit 1; }
  done
done
rm -f /tmp/fuzz.$$.log

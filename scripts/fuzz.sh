#!/usr/bin/env bash
# Runs every Go fuzz target of the module briefly: FUZZTIME each, default
# 20000x (a number of inputs, not a duration: a time budget can expire while
# the fuzzer minimises a new input, which Go reports as a failure, "context
# deadline exceeded", though the code under test did nothing wrong).
# `go test -fuzz` takes one package and one target at a time, so list them.
set -euo pipefail
fuzztime=${FUZZTIME:-20000x}
count=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz: $pkg $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" >/tmp/authflow-fuzz.log 2>&1 || { cat /tmp/authflow-fuzz.log; exit 1; }
    count=$((count + 1))
  done
done
echo "fuzz: $count targets ran clean"

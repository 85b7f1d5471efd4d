#!/usr/bin/env bash
# `make bench` (after `make build`): the Go benchmarks and the k6
# comparison, all written to out/bench/ (bench.md gathers every table) and
# to stdout.
#
#   1. the reference server's CPU per sign-in + Google TOTP flow against a
#      trivial handler (refserver BenchmarkSignInGoogleFlow);
#   2. decoding the four answers of that flow: the hand-written decoders,
#      go-json-experiment's v1 package and encoding/json side by side
#      (b2core BenchmarkDecodeWizard);
#   3. the extension's client side of the flow in-process, one VU, the
#      server in a child process (extension BenchmarkSignInTOTP);
#   4. the conformance suite's duration (conformance benchmarks, if any);
#   5. the k6 comparison (bench/k6compare): the same flow by the extension,
#      by plain k6 JavaScript and by a Go net/http client, client CPU per
#      flow, flows/s and peak memory (at 5,000 VUs), against one
#      `authflow serve`;
#   6. users at scale: openUsers() of 10k/100k/1M users (JSON and CSV)
#      against plain k6's SharedArray + JSON.parse, start-up to the first
#      iteration and peak RSS (bench/usersload); `authflow serve --users N`
#      ready at 100k and 1M (refserver BenchmarkLoadUsers*); a pick at
#      1k/100k/1M users, healthy, exhausted and from 1,000 goroutines
#      (extension BenchmarkPick*).
#
# Environment: OUT (default out), BENCH_FLOWS (-n of the CPU runs, default
# 5000), BENCH_CPU_REPS (default 5), BENCH_DURATION (throughput runs,
# default 10s), BENCH_REPS (throughput and memory runs, default 3),
# BENCH_MEM_VUS (default 5000), BENCH_PROFILE (k6 CPU profile length,
# default 8s; 0 for none), BENCH_ARGS (more k6compare flags),
# BENCH_USERS_SIZES (users of step 6, default 10000,100000,1000000),
# BENCH_USERS_REPS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

out="${OUT:-out}/bench"
mkdir -p "$out"
out=$(cd "$out" && pwd)
md="$out/bench.md"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\nmake bench: %s\n' "$*" >&2; exit 1; }

[ -x bin/k6 ] && [ -x bin/authflow ] || die "bin/k6 and bin/authflow are missing: run 'make build' first"

{
  echo "# authflow benchmarks"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(nproc) CPUs, $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with uncommitted changes)')."
} >"$md"

# gobench NAME CMD...: runs a Go benchmark command, shows its output and
# adds it to bench.md with the command line.
gobench() {
  local name=$1
  shift
  local log="$out/$name.txt"
  echo "\$ $*"
  "$@" 2>&1 | tee "$log" || die "$name failed (log $log)"
  {
    echo
    echo "## $name"
    echo
    echo "\`$*\`"
    echo
    echo '```'
    grep -E '^(goos|goarch|pkg|cpu|Benchmark|PASS|FAIL|ok|---)' "$log" || cat "$log"
    echo '```'
  } >>"$md"
}

step "1/6 Reference server: CPU per sign-in + Google TOTP flow vs a trivial handler (refserver)"
gobench "refserver-signin-google-flow" \
  go test -run='^$' -bench=SignInGoogleFlow -benchtime=5000x ./refserver/

step "2/6 Decoding the sign-in answers: hand-written vs go-json-experiment v1 vs encoding/json (b2core)"
gobench "b2core-decode-wizard" \
  go test -run='^$' -bench=DecodeWizard -benchmem ./b2core/

step "3/6 The extension's client side of a sign-in, in-process (extension)"
gobench "extension-signin-totp" \
  go test -run='^$' -bench=SignInTOTP -benchtime=5000x -count=3 -benchmem ./extension/

step "4/6 Conformance suite duration (conformance benchmarks)"
list_rc=0
list=$(go test -list 'Benchmark' ./conformance/ 2>&1) || list_rc=$?
if [ "$list_rc" -ne 0 ]; then
  # Another change may be under way there: say so, and go on.
  echo "    WARNING: cannot list the benchmarks of ./conformance/ (go test -list failed):"
  printf '%s\n' "$list" | sed -n '1,15s/^/      /p'
  printf '\n## conformance-suite\n\n**Not run**: `go test -list Benchmark ./conformance/` failed:\n\n```\n%s\n```\n' \
    "$(printf '%s\n' "$list" | sed -n '1,15p')" >>"$md"
elif grep -q '^Benchmark' <<<"$list"; then
  gobench "conformance-suite" go test -run='^$' -bench=. -benchtime=1x ./conformance/
else
  echo "    no benchmark in ./conformance/ yet: skipped"
  printf '\n## conformance-suite\n\nNo benchmark in ./conformance/: skipped.\n' >>"$md"
fi

step "5/6 k6 comparison: extension vs plain k6 JS vs Go net/http (bench/k6compare)"
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
set -- go run ./bench/k6compare --k6 bin/k6 --authflow bin/authflow --out "$out/k6compare" \
  --n "${BENCH_FLOWS:-5000}" --cpu-reps "${BENCH_CPU_REPS:-5}" --duration "${BENCH_DURATION:-10s}" \
  --reps "${BENCH_REPS:-3}" --mem-vus "${BENCH_MEM_VUS:-5000}" --profile "${BENCH_PROFILE:-8s}" ${BENCH_ARGS:-}
echo "\$ $*"
k6compare_rc=0
"$@" || k6compare_rc=$?
if [ -s "$out/k6compare/k6compare.md" ]; then
  { echo; cat "$out/k6compare/k6compare.md"; } >>"$md"
fi

step "6/6 Users at scale: openUsers vs SharedArray, serve --users, the picker"
usersload_rc=0
set -- go run ./bench/usersload --k6 bin/k6 --out "$out/usersload" \
  --sizes "${BENCH_USERS_SIZES:-10000,100000,1000000}" --reps "${BENCH_USERS_REPS:-3}"
echo "\$ $*"
"$@" || usersload_rc=$?
if [ -s "$out/usersload/usersload.md" ]; then
  { echo; cat "$out/usersload/usersload.md"; } >>"$md"
fi
gobench "refserver-load-users" \
  go test -run='^$' -bench='LoadUsers' -benchtime=1x -count=3 ./refserver/
gobench "extension-picker" \
  go test -run='^$' -bench='^BenchmarkPick' -benchtime=200000x -count=3 -benchmem ./extension/
gobench "extension-users-file" \
  go test -run='^$' -bench='LoadUsersFile|NewPicker' -benchtime=10x -count=3 -benchmem ./extension/

step "Done"
echo "    all tables: $md"
echo "    k6 comparison details (logs, k6 summaries, users files, scripts, profiles): $out/k6compare/"
[ "$usersload_rc" -eq 0 ] || die "the users benchmark failed (exit $usersload_rc): see $md"
[ "$k6compare_rc" -eq 0 ] || die "the k6 comparison had INVALID runs or failed (exit $k6compare_rc): see $md"

#!/usr/bin/env bash
# The main job (`make run`): start the reference server on loopback, run the
# smoke scenario and a short sign-in load test through bin/k6 with the
# authflow extension, run the conformance suite, render the report, and print
# where everything is. Every step says what it is doing; failures stop the
# job with the step's output.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-out}
rate=${AUTHFLOW_RATE:-20}
duration=${AUTHFLOW_DURATION:-15s}
users=${AUTHFLOW_RUN_USERS:-2000}
variant=${AUTHFLOW_VARIANT:-default} # the reference server's personality: default or alt
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\nmake run: %s\n' "$*" >&2; exit 1; }

step "Starting the reference server (bin/authflow serve --variant $variant, $users load-test users)"
./bin/authflow serve --listen 127.0.0.1:0 --ready-file "$out/server.url" --variant "$variant" \
  --users "$users" --users-file "$out/users.json" --log-level warn >"$out/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ -s "$out/server.url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$out/server.log" >&2; die "the server did not start"; }
  sleep 0.1
done
[ -s "$out/server.url" ] || die "the server did not get ready within 10s"
base=$(tr -d '\n' <"$out/server.url")
echo "    listening on $base (log: $out/server.log)"

export AUTHFLOW_BASE_URL="$base" AUTHFLOW_HOOKS_URL="$base/__hooks" AUTHFLOW_OUT="$out" \
  AUTHFLOW_USERS="$out/users.json" K6_NO_USAGE_REPORT=true

step "Smoke: every flow once (scenarios/smoke.js)"
./bin/k6 run --quiet scenarios/smoke.js || die "the smoke scenario failed (k6 exit $?)"

step "Sign-in load: ${rate} sign-ins/s for ${duration}, open model (scenarios/signin_load.js)"
AUTHFLOW_RATE="$rate" AUTHFLOW_DURATION="$duration" \
  ./bin/k6 run --no-color --out json="$out/signin_load.ndjson" scenarios/signin_load.js ||
  die "the sign-in load scenario failed its thresholds (k6 exit $?)"

step "Conformance suite (bin/authflow conform)"
conform_rc=0
./bin/authflow conform --target "$base" --hooks "$base/__hooks" --out "$out/conformance" || conform_rc=$?
[ "$conform_rc" -le 1 ] || die "the conformance suite could not run (exit $conform_rc)"

step "Report (bin/authflow report)"
./bin/authflow report --title "authflow main job against the reference server" \
  --summary "$out/signin_load.summary.json" --timeseries "$out/signin_load.ndjson" \
  --conformance "$out/conformance/conformance.json" --out "$out/report"

step "Done"
sed -n '1,40p' "$out/report/summary.md"
cat <<MSG

Results:
  report (open in a browser)  $out/report/index.html
  CI summary (Markdown)       $out/report/summary.md
  JUnit                       $out/report/junit.xml, $out/conformance/conformance.junit.xml
  conformance evidence        $out/conformance/conformance.json
  k6 end-of-test data         $out/smoke.summary.json, $out/signin_load.summary.json
  k6 time series              $out/signin_load.ndjson
MSG
[ "$conform_rc" -eq 0 ] || die "the conformance suite found failures against the reference server"

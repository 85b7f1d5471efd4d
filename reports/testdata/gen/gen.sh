#!/bin/sh
# Regenerates the k6 fixtures of package reports with a real k6 binary.
# Usage: reports/testdata/gen/gen.sh [path/to/k6]   (from the repository root)
# The NDJSON files are filtered to the metrics authflow report reads; every
# kept line is verbatim k6 `--out json` output.
set -eu
K6=${1:-bin/k6}
D=reports/testdata
G=$D/gen
SRVBIN=$(mktemp -d)/server
go build -o "$SRVBIN" $G/server.go
"$SRVBIN" & SRV=$!
trap 'kill $SRV' EXIT
sleep 1
keep='"metric":"(http_reqs|http_req_duration|http_req_failed|authflow_[a-z_]+)"'
run() { # name, extra k6 args...
	name=$1; shift
	"$K6" run -q --no-color -e SUMMARY=$D/$name.json --out json=$D/$name.full.ndjson "$@" $G/script.js || true
	grep -E "$keep" $D/$name.full.ndjson > $D/$name.ndjson
	rm $D/$name.full.ndjson
}
if [ "${ONLY_EXTRA:-}" = "" ]; then
run baseline
kill $SRV; sleep 1
SLOW_STEP=submit_otp "$SRVBIN" & SRV=$!
sleep 1
run candidate
kill $SRV; sleep 1
"$SRVBIN" & SRV=$!
sleep 1
run split-whole -e TREND_STATS=default -e DURATION=6s
run split-a -e TREND_STATS=default -e DURATION=6s --execution-segment 0:1/2 --execution-segment-sequence 0,1/2,1
run split-b -e TREND_STATS=default -e DURATION=6s --execution-segment 1/2:1 --execution-segment-sequence 0,1/2,1
fi
# The other two shapes k6 v2 can write: handleSummary data with
# K6_NEW_MACHINE_READABLE_SUMMARY=true, and the legacy --summary-export file.
K6_NEW_MACHINE_READABLE_SUMMARY=true "$K6" run -q --no-color -e SUMMARY=$D/machine-readable.json -e DURATION=3s $G/script.js || true
"$K6" run -q --no-color -e SUMMARY=/dev/null --summary-export=$D/summary-export.json -e DURATION=3s $G/script.js || true

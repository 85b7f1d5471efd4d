package integration

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebDashboardReport runs a shipped scenario with k6's own web dashboard
// (K6_WEB_DASHBOARD=true, no HTTP port) exporting its HTML report, and reads
// the report's embedded data: the extension's metrics are there, and the
// flow count equals the one in k6's summary.
func TestWebDashboardReport(t *testing.T) {
	report := filepath.Join(t.TempDir(), "dashboard.html")
	sum, out := runScenario(t, "signin_load.js", nil,
		"K6_WEB_DASHBOARD=true", "K6_WEB_DASHBOARD_PORT=-1", "K6_WEB_DASHBOARD_PERIOD=1s",
		"K6_WEB_DASHBOARD_EXPORT="+report)
	html, err := os.ReadFile(report)
	require.NoError(t, err, "no web dashboard report\n%s", out)
	events := dashboardEvents(t, html)

	types := map[string]string{}
	for _, ev := range events["metric"] {
		var ms map[string]struct {
			Type string `json:"type"`
		}
		require.NoError(t, json.Unmarshal(ev, &ms))
		for name, m := range ms {
			types[name] = m.Type
		}
	}
	for name, typ := range map[string]string{
		"authflow_flow_duration": "trend", "authflow_step_duration": "trend",
		"authflow_flows": "counter", "authflow_flow_failed": "rate",
	} {
		assert.Equal(t, typ, types[name], "%s in the web dashboard report", name)
	}

	// The cumulative event holds one array per metric, in name order, with
	// the aggregates the param event lists for its type.
	var param struct {
		Aggregates map[string][]string `json:"aggregates"`
	}
	require.NotEmpty(t, events["param"])
	require.NoError(t, json.Unmarshal(events["param"][0], &param))
	cums := events["cumulative"]
	require.NotEmpty(t, cums, "no cumulative figures in the report")
	var cum [][]float64
	require.NoError(t, json.Unmarshal(cums[len(cums)-1], &cum))
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names)
	require.Len(t, cum, len(names))
	idx := sort.SearchStrings(names, "authflow_flows")
	at := indexOf(param.Aggregates["counter"], "count")
	require.GreaterOrEqual(t, at, 0, "counter aggregates %v", param.Aggregates["counter"])
	assert.Positive(t, cum[idx][at])
	assert.Equal(t, sum.count("authflow_flows"), cum[idx][at], "authflow_flows count: web dashboard vs k6 summary")
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// dashboardEvents decodes the report's data (gzip, base64, one JSON event
// a line) into each event's data, by event name.
func dashboardEvents(t *testing.T, html []byte) map[string][]json.RawMessage {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script id="data" type="application/json; charset=utf-8; gzip; base64">(.*?)</script>`).FindSubmatch(html)
	require.NotNil(t, m, "the report has no embedded data")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(m[1])))
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	require.NoError(t, err)
	events := map[string][]json.RawMessage{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var ev struct {
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev))
		events[ev.Event] = append(events[ev.Event], ev.Data)
	}
	require.NoError(t, sc.Err())
	return events
}

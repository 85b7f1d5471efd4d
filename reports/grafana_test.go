package reports

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The metrics the k6/x/authflow extension and its scripts emit, with their
// k6 types, and the names k6's Prometheus remote-write output gives them
// (internal/output/prometheusrw in k6 v2: prefix k6_; counters _total;
// rates _rate; trends one gauge per K6_PROMETHEUS_RW_TREND_STATS stat,
// p(95) -> _p95, or with native histograms _seconds for time trends).
var dashboardMetrics = map[string]string{
	"authflow_flow_duration": Trend,
	"authflow_flows":         Counter,
	"authflow_flow_failed":   Rate,
	"authflow_step_duration": Trend,
	"authflow_lockouts":      Counter,
	"authflow_rate_limited":  Counter,
	"authflow_otp_rejected":  Counter,
	"http_reqs":              Counter,
	"http_req_duration":      Trend,
	"http_req_failed":        Rate,
}

var trendStats = []string{"p99", "p95", "p90", "p50", "med", "avg", "min", "max", "count", "sum"}

func remoteWriteNames() map[string]string {
	names := map[string]string{}
	for m, typ := range dashboardMetrics {
		switch typ {
		case Counter:
			names["k6_"+m+"_total"] = m
		case Rate:
			names["k6_"+m+"_rate"] = m
		case Trend:
			for _, s := range trendStats {
				names["k6_"+m+"_"+s] = m
			}
			names["k6_"+m+"_seconds"] = m
		}
	}
	return names
}

func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile("grafana/authflow-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name    string `json:"name"`
				Options []struct {
					Value string `json:"value"`
				} `json:"options"`
			} `json:"list"`
		} `json:"templating"`
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("not valid JSON: %v", err)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
		t.Fatal("uid, title or panels missing")
	}
	var stats []string
	for _, v := range dash.Templating.List {
		if v.Name == "stat" {
			for _, o := range v.Options {
				stats = append(stats, o.Value)
			}
		}
	}
	if len(stats) == 0 || stats[0] != "p99" {
		t.Errorf("the stat variable must offer k6's default p99 first: %v", stats)
	}

	// Every query, in panels and rows' collapsed panels.
	var exprs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if e, ok := x["expr"].(string); ok {
				exprs = append(exprs, e)
			}
			if ds, ok := x["datasource"].(map[string]any); ok && x["type"] != "row" {
				if _, isPanel := x["gridPos"]; isPanel && ds["uid"] != "${datasource}" {
					t.Errorf("panel %v does not use the datasource variable", x["title"])
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	var all any
	json.Unmarshal(data, &all)
	walk(all)
	if len(exprs) < 10 {
		t.Fatalf("only %d queries", len(exprs))
	}

	allowed := remoteWriteNames()
	used := map[string]bool{}
	nameRE := regexp.MustCompile(`\bk6_[A-Za-z0-9_$]+`)
	labelRE := regexp.MustCompile(`([a-z_]+)\s*(?:=~|!=|!~|=)\s*"`)
	byRE := regexp.MustCompile(`by \(([^)]*)\)`)
	okLabels := map[string]bool{"testid": true, "flow": true, "step": true, "outcome": true, "__name__": true}
	for _, e := range exprs {
		names := nameRE.FindAllString(e, -1)
		if len(names) == 0 {
			t.Errorf("query without a k6 metric: %s", e)
		}
		for _, n := range names {
			expanded := []string{n}
			if strings.Contains(n, "$stat") {
				expanded = nil
				for _, s := range stats {
					expanded = append(expanded, strings.ReplaceAll(n, "$stat", s))
				}
			}
			for _, x := range expanded {
				m, ok := allowed[x]
				if !ok {
					t.Errorf("%s is not one of our metrics as k6 remote-writes them (query %s)", x, e)
					continue
				}
				used[m] = true
			}
		}
		for _, l := range labelRE.FindAllStringSubmatch(e, -1) {
			if !okLabels[l[1]] {
				t.Errorf("label %q is not one of ours (query %s)", l[1], e)
			}
		}
		for _, by := range byRE.FindAllStringSubmatch(e, -1) {
			for _, l := range strings.Split(by[1], ",") {
				if l = strings.TrimSpace(l); !okLabels[l] {
					t.Errorf("grouping by %q (query %s)", l, e)
				}
			}
		}
	}
	var missing []string
	for m := range dashboardMetrics {
		if strings.HasPrefix(m, "authflow_") && !used[m] {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the dashboard shows nothing of %v", missing)
	}
}

package integration

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	collector "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	common "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/grpc"
)

// otlpReceiver is an OTLP/gRPC metrics endpoint that keeps, per metric
// name, the attribute keys of every data point it received.
type otlpReceiver struct {
	collector.UnimplementedMetricsServiceServer
	mu    sync.Mutex
	attrs map[string][]map[string]string
}

func (r *otlpReceiver) Export(_ context.Context, req *collector.ExportMetricsServiceRequest) (*collector.ExportMetricsServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				for _, kv := range pointAttributes(m) {
					r.attrs[m.GetName()] = append(r.attrs[m.GetName()], attrMap(kv))
				}
			}
		}
	}
	return &collector.ExportMetricsServiceResponse{}, nil
}

// pointAttributes lists the attributes of each data point, whatever the
// metric's kind.
func pointAttributes(m *metricspb.Metric) [][]*common.KeyValue {
	var out [][]*common.KeyValue
	for _, p := range m.GetSum().GetDataPoints() {
		out = append(out, p.GetAttributes())
	}
	for _, p := range m.GetGauge().GetDataPoints() {
		out = append(out, p.GetAttributes())
	}
	for _, p := range m.GetHistogram().GetDataPoints() {
		out = append(out, p.GetAttributes())
	}
	for _, p := range m.GetExponentialHistogram().GetDataPoints() {
		out = append(out, p.GetAttributes())
	}
	return out
}

func attrMap(kvs []*common.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return m
}

// startOTLPReceiver serves OTLP/gRPC on a free loopback port until the test ends.
func startOTLPReceiver(t *testing.T) (*otlpReceiver, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &otlpReceiver{attrs: map[string][]map[string]string{}}
	srv := grpc.NewServer()
	collector.RegisterMetricsServiceServer(srv, r)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return r, l.Addr().String()
}

// TestOpenTelemetryOutput runs a shipped scenario with bin/k6 -o
// opentelemetry into an OTLP/gRPC receiver on loopback: the extension's
// metrics arrive with their flow, step and outcome attributes.
func TestOpenTelemetryOutput(t *testing.T) {
	recv, addr := startOTLPReceiver(t)
	sum, out := runScenario(t, "signin_load.js", []string{"-o", "opentelemetry"},
		"K6_OTEL_EXPORTER_PROTOCOL=grpc", "K6_OTEL_GRPC_EXPORTER_ENDPOINT="+addr,
		"K6_OTEL_GRPC_EXPORTER_INSECURE=true", "K6_OTEL_EXPORT_INTERVAL=1s", "K6_OTEL_FLUSH_INTERVAL=1s")
	require.Positive(t, sum.count("authflow_flows"), out)

	recv.mu.Lock()
	defer recv.mu.Unlock()
	for metric, want := range map[string][]string{
		"authflow_flows":         {"flow", "outcome"},
		"authflow_flow_duration": {"flow", "outcome"},
		"authflow_flow_failed":   {"flow"},
		"authflow_step_duration": {"flow", "step"},
	} {
		var points []map[string]string
		for name, ps := range recv.attrs {
			// k6 prefixes names with K6_OTEL_METRIC_PREFIX (none by
			// default) and sends a rate as counters: <name>.total and
			// <name>.occurred.
			if strings.Contains(name, metric) && !strings.Contains(name, metric+"_") {
				points = append(points, ps...)
			}
		}
		if !assert.NotEmpty(t, points, "%s did not arrive (received %d metrics)", metric, len(recv.attrs)) {
			continue
		}
		seen := map[string]bool{}
		for _, p := range points {
			for _, k := range want {
				if p[k] != "" {
					seen[k+"="+p[k]] = true
				}
			}
		}
		for _, k := range want {
			assert.True(t, hasKey(seen, k), "%s: no data point with attribute %s (%v)", metric, k, seen)
		}
		if metric == "authflow_flows" {
			assert.True(t, seen["flow=signin"] && seen["outcome=success"], "%s: %v", metric, seen)
		}
	}
}

func hasKey(seen map[string]bool, key string) bool {
	for k := range seen {
		if strings.HasPrefix(k, key+"=") {
			return true
		}
	}
	return false
}

package extension

import (
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/sobek"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"gopkg.in/guregu/null.v3"

	"go.k6.io/k6/v2/js/modulestest"
	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/lib/netext"
	"go.k6.io/k6/v2/lib/types"
	"go.k6.io/k6/v2/metrics"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(benchServerEnv); spec != "" {
		os.Exit(benchServer(spec))
	}
	observeReason = reasons.add
	goleak.VerifyTestMain(reasonCheck{m})
}

// testVU is one VU running real JS against the extension, as k6's own
// module tests do: a sobek runtime with the module's named exports in the
// global `authflow`, first in the init context, then (toVU) in the VU
// context with a lib.State that has a real transport and dialer and a
// samples channel the test drains.
type testVU struct {
	t        testing.TB
	rt       *modulestest.Runtime
	root     *RootModule
	mi       *ModuleInstance
	registry *metrics.Registry
	samples  chan metrics.SampleContainer
	state    *lib.State
	logs     *logtest.Hook
	logger   *logrus.Logger
}

func newTestVU(t testing.TB, root *RootModule) *testVU {
	t.Helper()
	if root == nil {
		root = New()
	}
	rt := modulestest.NewRuntime(t)
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	rt.VU.InitEnvField.Logger = logger
	mi, ok := root.NewModuleInstance(rt.VU).(*ModuleInstance)
	require.True(t, ok)
	obj := rt.VU.Runtime().NewObject()
	for k, v := range mi.Exports().Named {
		require.NoError(t, obj.Set(k, v))
	}
	require.NoError(t, rt.VU.Runtime().Set("authflow", obj))
	return &testVU{t: t, rt: rt, root: root, mi: mi, registry: rt.VU.InitEnvField.Registry,
		logs: hook, logger: logger}
}

// toVU moves the runtime to the VU context.
func (v *testVU) toVU() *testVU {
	v.t.Helper()
	dialer := netext.NewDialer(net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		netext.NewResolver(net.LookupIP, 0, types.DNSfirst, types.DNSpreferIPv4))
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		DisableCompression:  true,
		MaxIdleConns:        20,
		MaxIdleConnsPerHost: 20,
	}
	v.t.Cleanup(transport.CloseIdleConnections)
	v.samples = make(chan metrics.SampleContainer, 100000)
	v.state = &lib.State{
		Options: lib.Options{
			SystemTags:   &metrics.DefaultSystemTagSet,
			UserAgent:    null.StringFrom("authflow-test/1.0"),
			MaxRedirects: null.IntFrom(10),
		},
		Logger:         v.logger,
		Dialer:         dialer,
		Transport:      transport,
		BufferPool:     lib.NewBufferPool(),
		Samples:        v.samples,
		BuiltinMetrics: v.rt.BuiltinMetrics,
		Tags: lib.NewVUStateTags(v.registry.RootTagSet().WithTagsFromMap(map[string]string{
			"group": lib.RootGroupPath, "scenario": "default",
		})),
	}
	v.rt.MoveToVUContext(v.state)
	return v
}

// run runs JS and fails the test on an exception.
func (v *testVU) run(js string) sobek.Value {
	v.t.Helper()
	val, err := v.rt.VU.Runtime().RunString(js)
	require.NoError(v.t, err)
	return val
}

// runErr runs JS and returns its exception.
func (v *testVU) runErr(js string) error {
	v.t.Helper()
	_, err := v.rt.VU.Runtime().RunString(js)
	return err
}

// obj runs JS and exports the resulting object through JSON (hidden
// properties are left out, as a script's JSON.stringify would).
func (v *testVU) obj(js string) map[string]any {
	v.t.Helper()
	val := v.run("JSON.parse(JSON.stringify((function(){ " + js + " })()))")
	m, ok := val.Export().(map[string]any)
	require.Truef(v.t, ok, "not an object: %v", val)
	return m
}

// drain returns every sample pushed so far.
func (v *testVU) drain() []metrics.Sample {
	var out []metrics.Sample
	for _, c := range metrics.GetBufferedSamples(v.samples) {
		out = append(out, c.GetSamples()...)
	}
	return out
}

// byMetric groups samples by metric name.
func byMetric(ss []metrics.Sample) map[string][]metrics.Sample {
	m := map[string][]metrics.Sample{}
	for _, s := range ss {
		m[s.Metric.Name] = append(m[s.Metric.Name], s)
	}
	return m
}

// tagValues lists the distinct values of a tag on samples.
func tagValues(ss []metrics.Sample, tag string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if v, ok := s.Tags.Get(tag); ok && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// assertNoSecrets fails if any sample tag or metadata holds one of the
// secrets.
func assertNoSecrets(t testing.TB, ss []metrics.Sample, logs []*logrus.Entry, secrets ...string) {
	t.Helper()
	for _, s := range ss {
		for k, val := range s.Tags.Map() {
			for _, sec := range secrets {
				if sec != "" && strings.Contains(val, sec) {
					t.Errorf("metric %s tag %s holds a secret", s.Metric.Name, k)
				}
			}
		}
		for k, val := range s.Metadata {
			for _, sec := range secrets {
				if sec != "" && strings.Contains(val, sec) {
					t.Errorf("metric %s metadata %s holds a secret", s.Metric.Name, k)
				}
			}
		}
	}
	for _, e := range logs {
		line, _ := e.String()
		for _, sec := range secrets {
			if sec != "" && strings.Contains(line, sec) {
				t.Errorf("log line holds a secret: %.80s", line)
			}
		}
	}
}

// parallelVUs runs f on n VUs sharing root, each on its own goroutine, as
// k6 runs VUs.
func parallelVUs(t *testing.T, root *RootModule, n int, setup func(v *testVU), f func(i int, v *testVU)) []*testVU {
	t.Helper()
	vus := make([]*testVU, n)
	for i := range vus {
		vus[i] = newTestVU(t, root)
		if setup != nil {
			setup(vus[i])
		}
		vus[i].toVU()
	}
	var wg sync.WaitGroup
	for i, v := range vus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, v)
		}()
	}
	wg.Wait()
	return vus
}

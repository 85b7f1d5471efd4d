package conformance

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/authflow/authflow/b2core"
)

// Options tune a Run beyond its Config.
type Options struct {
	// Version is the tool version written in the report.
	Version string
	// Filter further selects checks by ID (go test -run); nil keeps all.
	Filter func(id string) bool
	// Start is called once with the checks about to run.
	Start func(checks []Check)
	// Progress is called, one call at a time, as each check finishes.
	Progress func(done, total int, r CheckResult)
	// Baseline overrides cfg.Baseline (nil: load cfg.Baseline, if set).
	Baseline *Baseline
	// HTTPClient overrides the client the suite sends requests with.
	HTTPClient *http.Client
}

// run is one conformance run's shared state.
type run struct {
	cfg   *Config
	opts  Options
	api   *b2core.HTTPTransport
	hooks *b2core.HTTPTransport // nil without hooks

	clockOffset time.Duration

	// policy is what the lockout checks expect; policyErr, when set, is
	// why they cannot know it (they SKIP).
	policy    RunPolicy
	policyErr string
	original  *RunPolicy // as read from GET /policy, to restore

	msgOnce   sync.Once
	msgOK     bool
	msgReason string

	notesMu sync.Mutex
	notes   []string
}

func (r *run) note(s string) {
	r.notesMu.Lock()
	defer r.notesMu.Unlock()
	if !slices.Contains(r.notes, s) {
		r.notes = append(r.notes, s)
	}
}

// ErrUnreachable is wrapped by Run's error when the target does not answer
// at all.
var ErrUnreachable = errors.New("target unreachable")

// Run runs the checks cfg selects against cfg.Target and returns the
// report. It returns an error only when the run could not start: a
// *ConfigError for configuration mistakes, ErrUnreachable when the target
// does not answer. A check that fails is a verdict in the report, not an
// error.
func Run(ctx context.Context, cfg *Config, opts Options) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	bl := opts.Baseline
	if bl == nil && cfg.Baseline != "" {
		var err error
		if bl, err = LoadBaseline(cfg.Baseline); err != nil {
			return nil, err
		}
	}
	checks := Selected(cfg)
	if opts.Filter != nil {
		checks = slices.DeleteFunc(checks, func(c Check) bool { return !opts.Filter(c.ID) })
	}

	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{
			Transport: &http.Transport{
				Proxy:               http.ProxyFromEnvironment,
				MaxIdleConns:        4 * cfg.Parallelism,
				MaxIdleConnsPerHost: 4 * cfg.Parallelism,
				IdleConnTimeout:     30 * time.Second,
			},
		}
	}
	header := http.Header{"User-Agent": {cfg.UserAgent}}
	r := &run{cfg: cfg, opts: opts}
	r.api = &b2core.HTTPTransport{BaseURL: cfg.Target, Client: client, Header: header}
	if cfg.Hooks != "" {
		r.hooks = &b2core.HTTPTransport{BaseURL: cfg.Hooks, Client: client, Header: header}
	}

	started := time.Now()
	report := &Report{
		Tool: "authflow conform", Version: opts.Version,
		Target:  Target{BaseURL: cfg.Target, HooksURL: cfg.Hooks, Profiles: slices.Clone(cfg.Profiles)},
		Started: started.UTC(), Config: cfg,
	}
	if err := r.preflight(ctx, client, &report.Target); err != nil {
		return nil, err
	}
	r.readPolicy(ctx)

	if opts.Start != nil {
		opts.Start(checks)
	}
	var (
		mu      sync.Mutex
		results []CheckResult
		done    int
	)
	finish := func(res CheckResult) {
		if reason, ok := bl.reason(res.ID); ok {
			switch res.Verdict {
			case Fail:
				res.Baseline = true
				res.Reason = joinReason(res.Reason, "accepted by the baseline: "+reason)
			case Pass:
				res.Reason = joinReason(res.Reason, "listed in the baseline but passed: the entry can be removed")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		results = append(results, res)
		if opts.Progress != nil {
			opts.Progress(done, len(checks), res)
		}
	}

	var lockout, parallel []Check
	for _, c := range checks {
		if c.Phase == PhaseLockout {
			lockout = append(lockout, c)
		} else {
			parallel = append(parallel, c)
		}
	}

	// The lockout phase, under the (possibly shortened) policy, restored as
	// soon as it is over; its checks wait side by side, each on its own
	// accounts. Then the parallel phase.
	if len(lockout) > 0 {
		restore := r.shortenPolicy(ctx)
		r.runAll(ctx, lockout, finish)
		restore()
	}
	r.runAll(ctx, parallel, finish)

	order := map[string]int{}
	for i, c := range checks {
		order[c.ID] = i
	}
	slices.SortFunc(results, func(a, b CheckResult) int { return order[a.ID] - order[b.ID] })
	report.Checks = results
	report.Duration = float64(time.Since(started).Microseconds()) / 1000
	report.Summary = Summarize(results, cfg.FailOnSkip)
	if report.Summary.Verified == 0 {
		r.note("no check reached a verdict: nothing was verified, so the run is INCOMPLETE")
	}
	if cfg.FailOnSkip && report.Summary.Skip > 0 {
		r.note("failOnSkip is set: every SKIPPED MUST check fails the run")
	}
	pol := r.policy
	report.Target.Policy = &pol
	report.Notes = r.notes
	return report, nil
}

// runAll runs checks, cfg.Parallelism at a time, handing each result to
// finish.
func (r *run) runAll(ctx context.Context, checks []Check, finish func(CheckResult)) {
	sem := make(chan struct{}, r.cfg.Parallelism)
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			finish(r.runCheck(ctx, &c))
		}()
	}
	wg.Wait()
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// runCheck runs one check with its own deadline (timeouts.check beyond the
// waits the configuration allows), recovering its stop.
func (r *run) runCheck(ctx context.Context, c *Check) (res CheckResult) {
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Timeouts.Check.D()+r.cfg.Waits.Block.D()+r.cfg.Waits.Expiry.D())
	defer cancel()
	t := newT(cctx, r, c)
	started := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(stopCheck); !ok {
					t.mu.Lock()
					t.errored = true
					t.reasons = append(t.reasons, fmt.Sprintf("the check panicked: %v\n%s", p, debug.Stack()))
					t.mu.Unlock()
				}
			}
		}()
		if ctx.Err() != nil {
			t.Errorf("the run was cancelled")
		}
		c.Run(t)
	}()
	return t.result(started)
}

// preflight checks that the target answers, and records its identity and
// its clock's offset from ours (TOTP codes follow the server's clock).
func (r *run) preflight(ctx context.Context, client *http.Client, tgt *Target) error {
	pctx, cancel := context.WithTimeout(ctx, r.cfg.Timeouts.Request.D())
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, r.cfg.Target+api+"/signin/wizard", nil)
	if err != nil {
		return &ConfigError{Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", r.cfg.UserAgent)
	before := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: GET %s%s/signin/wizard: %v", ErrUnreachable, r.cfg.Target, api, err)
	}
	resp.Body.Close()
	after := time.Now()
	tgt.Server = resp.Header.Get("Server")
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		sum := sha256.Sum256(resp.TLS.PeerCertificates[0].Raw)
		tgt.TLSCertSHA256 = hex.EncodeToString(sum[:])
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		mid := before.Add(after.Sub(before) / 2)
		off := d.Sub(mid.Truncate(time.Second))
		if off > 2*time.Second || off < -2*time.Second {
			r.clockOffset = off.Round(time.Second)
			r.note(fmt.Sprintf("the target's clock (Date header) is %s off the suite's; TOTP codes follow the target's clock", r.clockOffset))
		}
	}
	return nil
}

// ---- policy ----

type policyWire struct {
	SignIn  Limit `json:"signin"`
	Refresh Limit `json:"refresh"`
}

func (p policyWire) valid() bool {
	ok := func(l Limit) bool { return l.Attempts > 0 && l.WindowSeconds > 0 && l.BlockSeconds > 0 }
	return ok(p.SignIn) && ok(p.Refresh)
}

// hookDo calls a hook outside any check.
func (r *run) hookDo(ctx context.Context, method, path string, body any) (*b2core.Response, error) {
	hctx, cancel := context.WithTimeout(ctx, r.cfg.Timeouts.Request.D())
	defer cancel()
	return r.hooks.Do(hctx, &b2core.Request{Flow: "conformance", Step: "policy", Method: method, Path: path, Body: encodeBody(body)})
}

// readPolicy settles the policy the lockout checks expect: the configured
// one, or GET /policy's with fromHooks. It also keeps the original policy
// to restore after shortening.
func (r *run) readPolicy(ctx context.Context) {
	r.policy = RunPolicy{SignIn: r.cfg.Policy.SignIn, Refresh: r.cfg.Policy.Refresh, Source: "config"}
	if r.hooks == nil {
		return
	}
	resp, err := r.hookDo(ctx, http.MethodGet, "/policy", nil)
	var p policyWire
	switch {
	case err != nil:
		r.note(fmt.Sprintf("test hook GET /policy got no answer: %v", err))
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusNotImplemented:
		r.note(fmt.Sprintf("test hook GET /policy is not supported (HTTP %d)", resp.Status))
	case resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &p) != nil || !p.valid():
		r.note(fmt.Sprintf("test hook GET /policy answered HTTP %d without a valid policy", resp.Status))
	default:
		r.original = &RunPolicy{SignIn: p.SignIn, Refresh: p.Refresh, Source: "hooks"}
	}
	if r.cfg.Policy.FromHooks {
		if r.original == nil {
			r.policyErr = "policy.fromHooks is set but GET {hooks}/policy gave no policy"
			return
		}
		r.policy = *r.original
	}
}

// shortenPolicy sets a short block through PUT /policy (when allowed and
// possible) and returns the function that restores the original.
func (r *run) shortenPolicy(ctx context.Context) (restore func()) {
	restore = func() {}
	if r.policyErr != "" || !r.cfg.ShortenPolicy() || r.hooks == nil || r.original == nil {
		if r.cfg.ShortenPolicy() && r.hooks != nil && r.original == nil {
			r.note("the policy was not shortened: GET {hooks}/policy is needed to restore it afterwards")
		}
		return restore
	}
	short := int(r.cfg.Policy.ShortBlock.D() / time.Second)
	win := int(r.cfg.Policy.ShortWindow.D() / time.Second)
	want := policyWire{
		SignIn:  Limit{Attempts: r.policy.SignIn.Attempts, WindowSeconds: min(win, r.policy.SignIn.WindowSeconds), BlockSeconds: min(short, r.policy.SignIn.BlockSeconds)},
		Refresh: Limit{Attempts: r.policy.Refresh.Attempts, WindowSeconds: min(win, r.policy.Refresh.WindowSeconds), BlockSeconds: min(short, r.policy.Refresh.BlockSeconds)},
	}
	resp, err := r.hookDo(ctx, http.MethodPut, "/policy", want)
	switch {
	case err != nil:
		r.note(fmt.Sprintf("the policy was not shortened: PUT {hooks}/policy got no answer: %v", err))
		return restore
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusNotImplemented:
		r.note(fmt.Sprintf("the policy was not shortened: PUT {hooks}/policy is not supported (HTTP %d)", resp.Status))
		return restore
	case resp.Status/100 != 2:
		r.note(fmt.Sprintf("the policy was not shortened: PUT {hooks}/policy answered HTTP %d", resp.Status))
		return restore
	}
	inForce := want
	var got policyWire
	if json.Unmarshal(resp.Body, &got) == nil && got.valid() {
		inForce = got
	}
	r.policy = RunPolicy{SignIn: inForce.SignIn, Refresh: inForce.Refresh, Source: "hooks (shortened)"}
	r.note(fmt.Sprintf("for the lockout phase the policy was set through PUT {hooks}/policy to signin %s, refresh %s", inForce.SignIn, inForce.Refresh))
	orig := *r.original
	return func() {
		// Restore even when the run was cancelled.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeouts.Request.D())
		defer cancel()
		resp, err := r.hookDo(rctx, http.MethodPut, "/policy", policyWire{SignIn: orig.SignIn, Refresh: orig.Refresh})
		switch {
		case err != nil:
			r.note(fmt.Sprintf("WARNING: the original policy could not be restored: %v", err))
		case resp.Status/100 != 2:
			r.note(fmt.Sprintf("WARNING: the original policy could not be restored: PUT {hooks}/policy answered HTTP %d", resp.Status))
		default:
			var back policyWire
			if json.Unmarshal(resp.Body, &back) == nil && back.valid() && (back.SignIn != orig.SignIn || back.Refresh != orig.Refresh) {
				r.note("WARNING: PUT {hooks}/policy to restore answered a policy other than the original")
				return
			}
			r.note(fmt.Sprintf("the original policy was restored (signin %s, refresh %s)", orig.SignIn, orig.Refresh))
		}
	}
}

// jsonMarshalNoEscape marshals without HTML escaping.
func jsonMarshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

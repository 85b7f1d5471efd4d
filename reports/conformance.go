package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/authflow/authflow/conformance"
)

// Conformance is the conformance section of a report.
type Conformance struct {
	Source  string
	Target  conformance.Target
	Tool    string
	Version string
	// Checks are the checks with every evidence excerpt masked.
	Checks []conformance.CheckResult
	Counts map[conformance.Verdict]int
	Groups []GroupCounts
	Passed bool
	// MustFailed counts MUST checks that failed or errored, baseline not
	// counted.
	MustFailed int
	// Accepted counts failures the baseline file accepts.
	Accepted int
	// Notes are the run's own observations (hooks, policy changes).
	Notes []string
}

// GroupCounts are the verdict counts of one group of checks.
type GroupCounts struct {
	Group  string
	Counts map[conformance.Verdict]int
	Total  int
}

// Verdicts in display order.
var Verdicts = []conformance.Verdict{conformance.Pass, conformance.Fail, conformance.Error, conformance.Warn, conformance.Skip}

// LoadConformance reads the JSON `authflow conform` writes.
func LoadConformance(path string) (*conformance.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSummarySize))
	if err != nil {
		return nil, err
	}
	return ParseConformance(data, filepath.Base(path))
}

// ParseConformance decodes and checks a conformance report.
func ParseConformance(data []byte, name string) (*conformance.Report, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("conformance %s: "+format, append([]any{name}, args...)...)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, fail("empty file")
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fail("invalid JSON: %v", jsonErr(data, err))
	}
	if probe["checks"] == nil {
		if probe["metrics"] != nil {
			return nil, fail(`this is a k6 summary; pass it with --summary`)
		}
		return nil, fail(`no "checks": expected the JSON report of authflow conform`)
	}
	var r conformance.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fail("%v", jsonErr(data, err))
	}
	for i, c := range r.Checks {
		switch c.Verdict {
		case conformance.Pass, conformance.Fail, conformance.Warn, conformance.Skip, conformance.Error:
		default:
			return nil, fail("check %d (%q): unknown verdict %q (want PASS, FAIL, WARN, SKIP or ERROR)", i, c.ID, c.Verdict)
		}
		if c.ID == "" {
			return nil, fail("check %d has no id", i)
		}
	}
	return &r, nil
}

func buildConformance(r *conformance.Report, source string) *Conformance {
	c := &Conformance{Source: source, Target: r.Target, Tool: r.Tool, Version: r.Version, Counts: map[conformance.Verdict]int{}}
	c.Target.BaseURL = MaskSecrets(c.Target.BaseURL)
	c.Target.HooksURL = MaskSecrets(c.Target.HooksURL)
	for _, n := range r.Notes {
		c.Notes = append(c.Notes, MaskSecrets(n))
	}
	groups := map[string]*GroupCounts{}
	var order []string
	for _, ch := range r.Checks {
		ch = maskCheck(ch)
		c.Checks = append(c.Checks, ch)
		c.Counts[ch.Verdict]++
		g := groups[ch.Group]
		if g == nil {
			g = &GroupCounts{Group: ch.Group, Counts: map[conformance.Verdict]int{}}
			groups[ch.Group] = g
			order = append(order, ch.Group)
		}
		g.Counts[ch.Verdict]++
		g.Total++
		if ch.Verdict == conformance.Fail || ch.Verdict == conformance.Error {
			if ch.Baseline {
				c.Accepted++
			} else if ch.Level == conformance.MUST {
				c.MustFailed++
			}
		}
	}
	for _, g := range order {
		c.Groups = append(c.Groups, *groups[g])
	}
	// The report's own verdict is authoritative; recompute only when the
	// summary is missing.
	if r.Summary.Total > 0 || len(r.Checks) == 0 {
		c.Passed = r.Summary.Passed
	} else {
		c.Passed = c.MustFailed == 0
	}
	return c
}

// CountsLine is "12 PASS · 1 FAIL · 2 SKIP" (zero counts left out).
func (c *Conformance) CountsLine() string {
	var parts []string
	for _, v := range Verdicts {
		if n := c.Counts[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, v))
		}
	}
	if len(parts) == 0 {
		return "no checks"
	}
	return strings.Join(parts, " · ")
}

// NotPassed returns the checks whose verdict is not PASS, most serious
// first.
func (c *Conformance) NotPassed() []conformance.CheckResult {
	rank := map[conformance.Verdict]int{conformance.Fail: 0, conformance.Error: 1, conformance.Warn: 2, conformance.Skip: 3}
	var out []conformance.CheckResult
	for _, ch := range c.Checks {
		if ch.Verdict != conformance.Pass {
			out = append(out, ch)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Baseline != out[j].Baseline {
			return !out[i].Baseline
		}
		return rank[out[i].Verdict] < rank[out[j].Verdict]
	})
	return out
}

func maskCheck(ch conformance.CheckResult) conformance.CheckResult {
	ch.Reason = MaskSecrets(ch.Reason)
	ev := make([]conformance.Evidence, len(ch.Evidence))
	for i, e := range ch.Evidence {
		e.Path = MaskSecrets(e.Path)
		e.RequestHeader = maskHeaders(e.RequestHeader)
		e.ResponseHeader = maskHeaders(e.ResponseHeader)
		e.RequestBody = MaskSecrets(e.RequestBody)
		e.ResponseBody = MaskSecrets(e.ResponseBody)
		e.Note = MaskSecrets(e.Note)
		ev[i] = e
	}
	ch.Evidence = ev
	return ch
}

var sensitiveHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
	"x-api-key": true, "x-auth-token": true, "x-access-token": true, "x-refresh-token": true,
	"x-csrf-token": true, "x-xsrf-token": true,
}

func maskHeaders(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if sensitiveHeaders[strings.ToLower(k)] && v != "" && !strings.Contains(v, "****") {
			scheme, _, found := strings.Cut(v, " ")
			if found && len(scheme) < 16 && !strings.ContainsAny(scheme, "=;") {
				v = scheme + " ****"
			} else {
				v = "****"
			}
		}
		out[k] = MaskSecrets(v)
	}
	return out
}

var (
	jwtRE    = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	bearerRE = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}`)
	// "password": "...", "access_token": "..." and the like in JSON, and
	// password=... in forms and query strings.
	secretFieldRE = regexp.MustCompile(`(?i)("(?:[a-z_]*password|[a-z_]*token|secret|[a-z_]*secret|api_?key|otp|code|totp|pin|refresh_?token|access_?token)"\s*:\s*)"[^"]*"`)
	secretParamRE = regexp.MustCompile(`(?i)\b((?:[a-z_]*password|[a-z_]*token|secret|client_secret|api_?key|otp|code)=)[^&\s"']+`)
)

// MaskSecrets replaces what looks like a credential in s with "****":
// JWTs, bearer and basic credentials, and the values of password, token,
// secret, OTP and code fields in JSON bodies and query strings. Inputs
// should have none; this is a second line of defence.
func MaskSecrets(s string) string {
	if s == "" {
		return s
	}
	s = jwtRE.ReplaceAllString(s, "eyJ****(JWT masked)")
	s = bearerRE.ReplaceAllString(s, "$1$2****")
	s = secretFieldRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := secretFieldRE.FindStringSubmatch(m)
		if strings.HasSuffix(m, `""`) || strings.HasSuffix(m, `"****"`) {
			return m
		}
		return sub[1] + `"****"`
	})
	s = secretParamRE.ReplaceAllString(s, "$1****")
	return s
}

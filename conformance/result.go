// Package conformance checks that an implementation of the B2Core client
// API v2 and the Capillary MFA password change behaves as the vendor
// documents and CONTRACT.md say, lockout and rate limits included, and
// writes a verdict CI can gate on with evidence a vendor can act on.
package conformance

import "time"

// Level is how binding a check is.
type Level string

// Levels, as in RFC 2119.
const (
	MUST   Level = "MUST"
	SHOULD Level = "SHOULD"
)

// Verdict is the result of one check.
type Verdict string

// Verdicts. WARN is a SHOULD not met; ERROR means the check itself could not
// run (a timeout, a hook failure) and says nothing of the server.
const (
	Pass  Verdict = "PASS"
	Fail  Verdict = "FAIL"
	Warn  Verdict = "WARN"
	Skip  Verdict = "SKIP"
	Error Verdict = "ERROR"
)

// Evidence is one exchange a check relied on, secrets masked.
type Evidence struct {
	Step           string            `json:"step,omitempty"`
	Method         string            `json:"method"`
	Path           string            `json:"path"`
	RequestHeader  map[string]string `json:"requestHeader,omitempty"`
	RequestBody    string            `json:"requestBody,omitempty"`
	Status         int               `json:"status"`
	ResponseHeader map[string]string `json:"responseHeader,omitempty"`
	ResponseBody   string            `json:"responseBody,omitempty"`
	Note           string            `json:"note,omitempty"`
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Group string `json:"group"`
	Level Level  `json:"level"`
	// Source is the seed document section or CONTRACT.md rule.
	Source string `json:"source"`
	// Refs are matching requirements (ASVS 5.0, NIST SP 800-63B, RFCs).
	Refs     []string   `json:"refs,omitempty"`
	Verdict  Verdict    `json:"verdict"`
	Reason   string     `json:"reason,omitempty"`
	Baseline bool       `json:"baseline,omitempty"` // failed, but accepted by the baseline file
	Started  time.Time  `json:"started"`
	Duration float64    `json:"durationMs"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Summary counts verdicts.
type Summary struct {
	Total int `json:"total"`
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Skip  int `json:"skip"`
	Error int `json:"error"`
	// Passed is the verdict CI gates on: every MUST check passed, or failed
	// only as the baseline allows.
	Passed bool `json:"passed"`
}

// Target identifies what was tested.
type Target struct {
	BaseURL  string   `json:"baseUrl"`
	HooksURL string   `json:"hooksUrl,omitempty"`
	Profiles []string `json:"profiles"`
	// Server is the Server header the target answered with, if any.
	Server string `json:"server,omitempty"`
}

// Report is a whole run: what `authflow conform` writes as JSON and what
// `authflow report` reads.
type Report struct {
	Tool     string        `json:"tool"`
	Version  string        `json:"version"`
	Target   Target        `json:"target"`
	Started  time.Time     `json:"started"`
	Duration float64       `json:"durationMs"`
	Config   any           `json:"config"`
	Checks   []CheckResult `json:"checks"`
	Summary  Summary       `json:"summary"`
}

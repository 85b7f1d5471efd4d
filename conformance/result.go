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
	Refs    []string `json:"refs,omitempty"`
	Verdict Verdict  `json:"verdict"`
	// SkipCause says why a SKIP could not verify the check.
	SkipCause SkipCause  `json:"skipCause,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Baseline  bool       `json:"baseline,omitempty"` // failed, but accepted by the baseline file
	Started   time.Time  `json:"started"`
	Duration  float64    `json:"durationMs"`
	Evidence  []Evidence `json:"evidence,omitempty"`
	// Requests is how many HTTP exchanges the check made.
	Requests int `json:"requests,omitempty"`
}

// Summary counts verdicts and says what they add up to.
type Summary struct {
	Total int `json:"total"`
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Skip  int `json:"skip"`
	Error int `json:"error"`
	// Verified is how many checks reached a verdict about the target
	// (PASS, WARN or FAIL); SKIP and ERROR verified nothing.
	Verified int `json:"verified"`
	// SkipCauses counts the SKIPs by cause.
	SkipCauses map[SkipCause]int `json:"skipCauses,omitempty"`
	// Outcome is the run's verdict (see Summarize).
	Outcome Outcome `json:"outcome"`
	// Passed is Outcome == CONFORMANT, kept for readers of older reports.
	Passed bool `json:"passed"`
}

// Target identifies what was tested.
type Target struct {
	BaseURL  string   `json:"baseUrl"`
	HooksURL string   `json:"hooksUrl,omitempty"`
	Profiles []string `json:"profiles"`
	// Server is the Server header the target answered with, if any.
	Server string `json:"server,omitempty"`
	// TLSCertSHA256 is the SHA-256 of the target's TLS leaf certificate
	// (hex), when the target is https.
	TLSCertSHA256 string `json:"tlsCertSha256,omitempty"`
	// Policy is the lockout and refresh policy the checks expected
	// (after any shortening through the hooks).
	Policy *RunPolicy `json:"policy,omitempty"`
}

// RunPolicy is the policy a run's lockout checks expected.
type RunPolicy struct {
	SignIn  Limit `json:"signin"`
	Refresh Limit `json:"refresh"`
	// Source says where it came from: "config", "hooks" (GET /policy) or
	// "hooks (shortened)" (PUT /policy for the lockout phase).
	Source string `json:"source"`
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
	// Notes are observations about the run as a whole (hooks support,
	// policy changes and their restoration, clock offset).
	Notes []string `json:"notes,omitempty"`
	// SignerKey is the base64 ed25519 public key of the signer, when the
	// report was signed (informative: verify with a key you trust).
	SignerKey string `json:"signerKey,omitempty"`
	// Digest is "sha256:" and the hex SHA-256 of the file as written, with
	// these 64 hex digits replaced by zeros (see WriteJSON).
	Digest string `json:"digest,omitempty"`
}

package conformance

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// SkipCause is why a check was SKIPPED.
type SkipCause string

// Skip causes. SkipHooks and SkipPolicy mean the target could not be
// tested (a hook it should offer for testing is missing or broken);
// SkipWaits is the configuration's choice not to wait that long;
// SkipPrecondition is a precondition the check needs that did not hold
// (another check usually says why).
const (
	SkipHooks        SkipCause = "hooks unavailable"
	SkipPolicy       SkipCause = "policy unknown"
	SkipWaits        SkipCause = "waits not allowed"
	SkipPrecondition SkipCause = "precondition not met"
)

// Outcome is a run's verdict, what CI gates on.
type Outcome string

// Outcomes.
const (
	// Conformant: every MUST check that could run passed (or failed only as
	// the baseline allows), and nothing kept the target from being tested.
	Conformant Outcome = "CONFORMANT"
	// NonConformant: a MUST check failed (or was SKIPPED with failOnSkip).
	NonConformant Outcome = "NON-CONFORMANT"
	// Incomplete: no MUST check failed, but the target could not be tested
	// as configured: nothing was verified, a MUST check ended in ERROR, or
	// was SKIPPED because the hooks or the policy were unavailable.
	Incomplete Outcome = "INCOMPLETE"
)

// Summarize counts verdicts and decides the outcome. A MUST FAIL (not
// accepted by the baseline), or a MUST SKIP with failOnSkip, makes the run
// NON-CONFORMANT. Otherwise a run that verified nothing, or in which a MUST
// check ended in ERROR or was SKIPPED for want of hooks or policy, is
// INCOMPLETE. SHOULD checks never decide the outcome.
func Summarize(results []CheckResult, failOnSkip bool) Summary {
	s := Summary{Total: len(results)}
	nonConformant, incomplete := false, false
	for _, r := range results {
		switch r.Verdict {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Warn:
			s.Warn++
		case Skip:
			s.Skip++
			if s.SkipCauses == nil {
				s.SkipCauses = map[SkipCause]int{}
			}
			s.SkipCauses[skipCauseOf(r)]++
		case Error:
			s.Error++
		}
		if r.Level != MUST {
			continue
		}
		switch {
		case r.Verdict == Fail && !r.Baseline, r.Verdict == Skip && failOnSkip:
			nonConformant = true
		case r.Verdict == Error, r.Verdict == Skip && (r.SkipCause == SkipHooks || r.SkipCause == SkipPolicy):
			incomplete = true
		}
	}
	s.Verified = s.Pass + s.Warn + s.Fail
	switch {
	case nonConformant:
		s.Outcome = NonConformant
	case incomplete || s.Verified == 0:
		s.Outcome = Incomplete
	default:
		s.Outcome = Conformant
	}
	s.Passed = s.Outcome == Conformant
	return s
}

func skipCauseOf(r CheckResult) SkipCause {
	if r.SkipCause == "" {
		return SkipPrecondition
	}
	return r.SkipCause
}

// Headline says in one line what was verified and what it adds up to,
// e.g. "5 PASS, 94 SKIPPED (hooks unavailable): INCOMPLETE".
func (s Summary) Headline() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(s.Pass, "PASS")
	add(s.Warn, "WARN")
	add(s.Fail, "FAIL")
	if s.Skip > 0 {
		causes := slices.Sorted(maps.Keys(s.SkipCauses))
		var cs []string
		for _, c := range causes {
			if len(causes) == 1 {
				cs = append(cs, string(c))
			} else {
				cs = append(cs, fmt.Sprintf("%d %s", s.SkipCauses[c], c))
			}
		}
		what := "SKIPPED"
		if len(cs) > 0 {
			what += " (" + strings.Join(cs, ", ") + ")"
		}
		add(s.Skip, what)
	}
	add(s.Error, "ERROR")
	if len(parts) == 0 {
		parts = append(parts, "no checks")
	}
	return strings.Join(parts, ", ") + ": " + string(s.Outcome)
}

// Coverage says how many of the checks verified something.
func (s Summary) Coverage() string {
	pct := 0.0
	if s.Total > 0 {
		pct = 100 * float64(s.Verified) / float64(s.Total)
	}
	return fmt.Sprintf("%d of %d checks verified (%.0f%%)", s.Verified, s.Total, pct)
}

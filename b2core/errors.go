package b2core

import (
	"errors"
	"fmt"
	"time"
)

// Outcome classifies how a step or a flow ended. Load tests count outcomes
// apart because a lockout or a rejected code is often the expected result of
// a scenario, not a failure of the server.
type Outcome string

// Outcomes.
const (
	OutcomeSuccess     Outcome = "success"
	OutcomeLockout     Outcome = "lockout"      // 429 on a sign-in step
	OutcomeRateLimited Outcome = "rate_limited" // 429 elsewhere (refresh)
	OutcomeOTPRejected Outcome = "otp_rejected" // a 2FA or email code refused
	OutcomeRejected    Outcome = "rejected"     // another 4xx (wrong password, bad token)
	OutcomeFailure     Outcome = "failure"      // 5xx, no answer, wrong shape or workflow
	// OutcomeTOTPStepUsed: the client would have had to wait for the next
	// TOTP step and was told not to (Config.TOTPNoWait); nothing was sent.
	OutcomeTOTPStepUsed Outcome = "totp_step_used"
)

// StepError is the error of a failed step. It never holds a secret: Reason
// is written by this package, never copied from a request, and the server's
// message is kept only after secrets are masked.
type StepError struct {
	Flow    string
	Step    string
	Status  int // 0 when no answer came
	Outcome Outcome
	Reason  string
	// RetryAfter is the server's Retry-After on a 429.
	RetryAfter time.Duration
	// Err is the cause, when there is one (a transport or decoding error).
	Err error
}

// Error says where and why, each word once: "signin at step signin_2fa
// (HTTP 422): rejected: ..."; a step called on its own is "step
// signin_2fa (HTTP 422): ...".
func (e *StepError) Error() string {
	var s string
	switch e.Flow {
	case e.Step, "":
		s = e.Step
	case StepFlow:
		s = "step " + e.Step
	default:
		s = e.Flow + " at step " + e.Step
	}
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	s += ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *StepError) Unwrap() error { return e.Err }

// OutcomeOf returns the outcome of err: success for nil, the StepError's
// outcome, or failure for any other error.
func OutcomeOf(err error) Outcome {
	if err == nil {
		return OutcomeSuccess
	}
	var se *StepError
	if errors.As(err, &se) {
		return se.Outcome
	}
	return OutcomeFailure
}

package b2core

import (
	"context"
	"errors"
	"time"
)

// Why a flow waited. A wait the client chooses is never server latency:
// flows report it to the WaitObserver of their context, and a caller that
// times the flow leaves it out of the flow's duration.
const (
	// WaitTOTPStep: this client already sent the codes of the current and
	// the next 30-second TOTP step for the secret, so it waits for the clock.
	WaitTOTPStep = "totp_step"
	// WaitCodePoll: the time until an SMS or email code could be read from
	// the code source (Config.Codes).
	WaitCodePoll = "code_poll"
	// WaitLockout: a caller slept through a Retry-After before trying again.
	WaitLockout = "lockout"
)

// WaitObserver is told of each wait a flow makes.
type WaitObserver interface {
	Waited(reason string, d time.Duration)
}

type waitKey struct{}

// WithWaitObserver returns ctx whose flows report their waits to o.
func WithWaitObserver(ctx context.Context, o WaitObserver) context.Context {
	return context.WithValue(ctx, waitKey{}, o)
}

// WaitObserverFrom returns the observer of ctx, or nil.
func WaitObserverFrom(ctx context.Context) WaitObserver {
	o, _ := ctx.Value(waitKey{}).(WaitObserver)
	return o
}

// NoteWait reports a wait of d to the observer of ctx, if any: the flows'
// own waits, and a caller's that reads a code source itself.
func NoteWait(ctx context.Context, reason string, d time.Duration) {
	if o := WaitObserverFrom(ctx); o != nil && d > 0 {
		o.Waited(reason, d)
	}
}

// ErrTOTPStepUsed is the error of NextTOTPCode when Config.TOTPNoWait is
// set and the codes of the current and the next step were both sent.
var ErrTOTPStepUsed = errors.New("this client already sent the TOTP codes of the current and the next 30-second step " +
	"for this secret; the server would refuse them as replays")

// totpCode makes the TOTP code a flow sends at stepName: a StepError with
// OutcomeTOTPStepUsed when the client may not wait for the next step.
func (c *Client) totpCode(ctx context.Context, stepName, secret string) (string, error) {
	code, err := c.NextTOTPCode(ctx, secret)
	switch {
	case err == nil:
		return code, nil
	case errors.Is(err, ErrTOTPStepUsed):
		return "", &StepError{Flow: FlowFrom(ctx), Step: stepName, Outcome: OutcomeTOTPStepUsed,
			Reason: ErrTOTPStepUsed.Error() + " (wait for the next step, or use totpWait: 'wait')"}
	case errors.Is(err, ErrBadTOTPSecret):
		return "", flowError(ctx, stepName, "the user's totpSecret is not valid base32", nil)
	}
	return "", flowError(ctx, stepName, "cannot make the TOTP code", err)
}

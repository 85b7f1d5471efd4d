package extension

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/authflow/authflow/b2core"
)

func TestCountsAsFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		outcome         b2core.Outcome
		failed, counted bool
	}{
		{b2core.OutcomeSuccess, false, true},
		{b2core.OutcomeLockout, false, false},
		{b2core.OutcomeRateLimited, false, false},
		{b2core.OutcomeOTPRejected, true, true},
		{b2core.OutcomeRejected, true, true},
		{b2core.OutcomeFailure, true, true},
		// The flow did not run: a gate must not pass on it.
		{b2core.OutcomeTOTPStepUsed, true, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.outcome), func(t *testing.T) {
			t.Parallel()
			failed, counted := countsAsFailure(tt.outcome)
			assert.Equal(t, tt.failed, failed)
			assert.Equal(t, tt.counted, counted)
		})
	}
}

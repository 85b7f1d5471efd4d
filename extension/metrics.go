package extension

import (
	"context"
	"strconv"
	"time"

	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/lib/netext/httpext"
	"go.k6.io/k6/v2/metrics"

	"github.com/authflow/authflow/b2core"
)

// Metric names. They are registered once per test (the registry returns
// the same metric to every VU) and can carry thresholds, e.g.
// 'authflow_flow_duration{flow:signin_totp}': ['p(95)<500'].
const (
	MetricFlowDuration = "authflow_flow_duration" // Trend, time; tags flow, outcome
	MetricFlows        = "authflow_flows"         // Counter; tags flow, outcome
	MetricFlowFailed   = "authflow_flow_failed"   // Rate; tag flow
	MetricStepDuration = "authflow_step_duration" // Trend, time; tags step, flow, status
	MetricLockouts     = "authflow_lockouts"      // Counter; tags flow, step
	MetricRateLimited  = "authflow_rate_limited"  // Counter; tags flow, step
	MetricOTPRejected  = "authflow_otp_rejected"  // Counter; tags flow, step
	// MetricWaitDuration is the time the client chose to wait, never part
	// of a flow or step duration; tag reason: totp_step, code_poll,
	// lockout or picker.
	MetricWaitDuration = "authflow_wait_duration" // Trend, time; tags flow, reason
)

// Tag names the extension sets on its own metrics and on k6's http_req_*.
const (
	tagFlow    = "flow"
	tagStep    = "step"
	tagOutcome = "outcome"
	tagStatus  = "status"
	tagName    = "name"
	tagReason  = "reason"
)

// flowMetrics holds the custom metrics.
type flowMetrics struct {
	flowDuration *metrics.Metric
	flows        *metrics.Metric
	flowFailed   *metrics.Metric
	stepDuration *metrics.Metric
	lockouts     *metrics.Metric
	rateLimited  *metrics.Metric
	otpRejected  *metrics.Metric
	waitDuration *metrics.Metric
}

func registerMetrics(r *metrics.Registry) *flowMetrics {
	return &flowMetrics{
		flowDuration: r.MustNewMetric(MetricFlowDuration, metrics.Trend, metrics.Time),
		flows:        r.MustNewMetric(MetricFlows, metrics.Counter),
		flowFailed:   r.MustNewMetric(MetricFlowFailed, metrics.Rate),
		stepDuration: r.MustNewMetric(MetricStepDuration, metrics.Trend, metrics.Time),
		lockouts:     r.MustNewMetric(MetricLockouts, metrics.Counter),
		rateLimited:  r.MustNewMetric(MetricRateLimited, metrics.Counter),
		otpRejected:  r.MustNewMetric(MetricOTPRejected, metrics.Counter),
		waitDuration: r.MustNewMetric(MetricWaitDuration, metrics.Trend, metrics.Time),
	}
}

// countsAsFailure says how an outcome enters authflow_flow_failed: success
// is a 0, failure (5xx, no answer, a wrong shape or workflow), rejected (a
// 4xx the flow did not expect, such as a wrong password or a dead token)
// otp_rejected (a code the flow computed or fetched was refused) and
// totp_step_used (with totpWait 'fail': the flow could not run) are a 1. Lockout and rate_limited are the server's protection working as
// documented: they are counted by authflow_lockouts, authflow_rate_limited
// and authflow_flows{outcome:...} and left out of the rate, so that a
// threshold on authflow_flow_failed measures real failures only.
func countsAsFailure(o b2core.Outcome) (failed, counted bool) {
	switch o {
	case b2core.OutcomeSuccess:
		return false, true
	case b2core.OutcomeLockout, b2core.OutcomeRateLimited:
		return false, false
	default:
		return true, true
	}
}

// sampleTags returns the VU's current tags plus the client's tags plus kv
// pairs (name, value, name, value...).
func sampleTags(state *lib.State, clientTags map[string]string, kv ...string) metrics.TagsAndMeta {
	tm := state.Tags.GetCurrentValues()
	for k, v := range clientTags {
		tm.SetTag(k, v)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		tm.SetTag(kv[i], kv[i+1])
	}
	return tm
}

func sample(m *metrics.Metric, tm metrics.TagsAndMeta, t time.Time, v float64) metrics.Sample {
	return metrics.Sample{
		TimeSeries: metrics.TimeSeries{Metric: m, Tags: tm.Tags},
		Time:       t,
		Metadata:   tm.Metadata,
		Value:      v,
	}
}

// outcomeCounter returns the counter an outcome increments, if any.
func (fm *flowMetrics) outcomeCounter(o b2core.Outcome) *metrics.Metric {
	switch o {
	case b2core.OutcomeLockout:
		return fm.lockouts
	case b2core.OutcomeRateLimited:
		return fm.rateLimited
	case b2core.OutcomeOTPRejected:
		return fm.otpRejected
	default:
		return nil
	}
}

// stepSample returns the duration sample of one HTTP step; tm holds the
// step's tags but its status (the VU's, the client's, flow and step).
func (fm *flowMetrics) stepSample(tm metrics.TagsAndMeta, status int, d time.Duration, end time.Time) metrics.Sample {
	tm.SetTag(tagStatus, strconv.Itoa(status))
	return sample(fm.stepDuration, tm, end, metrics.D(d))
}

// appendOutcomeSample appends the counter sample of a step that ended in a
// lockout, a rate limit or a refused code to dst.
func (fm *flowMetrics) appendOutcomeSample(
	dst metrics.Samples, state *lib.State, clientTags map[string]string, flow, step string, outcome b2core.Outcome, t time.Time,
) metrics.Samples {
	c := fm.outcomeCounter(outcome)
	if c == nil {
		return dst
	}
	return append(dst, sample(c, sampleTags(state, clientTags, tagFlow, flow, tagStep, step), t, 1))
}

// appendFlowSamples appends the samples of a finished flow to dst.
func (fm *flowMetrics) appendFlowSamples(
	dst metrics.Samples, state *lib.State, clientTags map[string]string, flow string, outcome b2core.Outcome,
	d time.Duration, end time.Time,
) metrics.Samples {
	tm := sampleTags(state, clientTags, tagFlow, flow, tagOutcome, string(outcome))
	dst = append(dst, sample(fm.flowDuration, tm, end, metrics.D(d)), sample(fm.flows, tm, end, 1))
	if failed, counted := countsAsFailure(outcome); counted {
		v := 0.0
		if failed {
			v = 1
		}
		dst = append(dst, sample(fm.flowFailed, sampleTags(state, clientTags, tagFlow, flow), end, v))
	}
	return dst
}

// appendWaitSamples appends a wait duration sample per wait to dst.
func (fm *flowMetrics) appendWaitSamples(
	dst metrics.Samples, state *lib.State, clientTags map[string]string, flow string, waits []waitRecord, end time.Time,
) metrics.Samples {
	for _, w := range waits {
		tm := sampleTags(state, clientTags, tagFlow, flow, tagReason, w.reason)
		dst = append(dst, sample(fm.waitDuration, tm, end, metrics.D(w.d)))
	}
	return dst
}

// retag returns c with the flow tag of each of its samples set to flow. It
// knows k6's HTTP trails and plain sample lists; anything else is returned
// as it is.
func retag(c metrics.SampleContainer, flow string) metrics.SampleContainer {
	switch x := c.(type) {
	case *httpext.Trail:
		x.Tags = x.Tags.With(tagFlow, flow)
		for i := range x.Samples {
			x.Samples[i].Tags = x.Samples[i].Tags.With(tagFlow, flow)
		}
		return x
	case metrics.Samples:
		for i := range x {
			x[i].Tags = x[i].Tags.With(tagFlow, flow)
		}
		return x
	case metrics.Sample:
		x.Tags = x.Tags.With(tagFlow, flow)
		return x
	default:
		return c
	}
}

// push sends samples to the VU's channel unless the test is over.
func push(ctx context.Context, state *lib.State, c metrics.SampleContainer) {
	metrics.PushIfNotDone(ctx, state.Samples, c)
}

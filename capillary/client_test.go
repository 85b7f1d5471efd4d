package capillary_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
	"github.com/authflow/authflow/internal/testutil"
)

const (
	oldPass = "0ldPassw0rd"
	newPass = "N3wPassw0rd"
)

func example(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	require.NoError(t, err)
	return string(b)
}

// sent lists the step, flow and name of every request rec passed on, in
// order.
func sent(rec *testutil.Recorder) (steps, flows, names []string) {
	for _, r := range rec.All() {
		steps, flows, names = append(steps, r.Step), append(flows, r.Flow), append(names, r.Name)
	}
	return steps, flows, names
}

func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestChangePasswordFlow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		validate http.HandlerFunc
		change   http.HandlerFunc
		outcome  b2core.Outcome
		step     string
		reason   string
	}{
		{name: "ok/docs", validate: reply(200, example(t, "capillary_validate")), change: reply(200, example(t, "capillary_change"))},
		{name: "err/validate_wrong_password_status_false", validate: reply(200, `{"status":{"success":false,"code":401,"message":"Invalid password 0ldPassw0rd"}}`),
			outcome: b2core.OutcomeRejected, step: capillary.StepValidate, reason: "status.success false (code 401): Invalid password ***"},
		{name: "err/validate_http_401", validate: reply(401, `{"status":{"success":false,"code":401,"message":"Unauthorized"}}`),
			outcome: b2core.OutcomeRejected, step: capillary.StepValidate, reason: "rejected: Unauthorized"},
		{name: "err/validate_429", validate: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			reply(429, ``)(w, r)
		}, outcome: b2core.OutcomeRateLimited, step: capillary.StepValidate, reason: "rate limited (retry after 1m0s)"},
		{name: "err/validate_no_token", validate: reply(200, `{"status":{"success":true,"code":200,"message":"SUCCESS"}}`),
			outcome: b2core.OutcomeFailure, step: capillary.StepValidate, reason: "missing field token"},
		{name: "err/validate_500", validate: reply(500, `oops`), outcome: b2core.OutcomeFailure, step: capillary.StepValidate, reason: "server error"},
		{name: "err/validate_invalid_json", validate: reply(200, `{"status":`), outcome: b2core.OutcomeFailure, step: capillary.StepValidate, reason: "invalid JSON"},
		{name: "err/validate_no_status", validate: reply(200, `{"token":"x"}`), outcome: b2core.OutcomeFailure, step: capillary.StepValidate, reason: "missing field status"},
		{name: "err/validate_status_no_success", validate: reply(200, `{"status":{"code":200},"token":"x"}`), outcome: b2core.OutcomeFailure, step: capillary.StepValidate, reason: "missing field status.success"},
		{name: "err/change_status_false", validate: reply(200, example(t, "capillary_validate")),
			change:  reply(200, `{"status":{"success":false,"code":400,"message":"Token expired"}}`),
			outcome: b2core.OutcomeRejected, step: capillary.StepChange, reason: "status.success false (code 400): Token expired"},
		{name: "err/change_status_false_code_500", validate: reply(200, example(t, "capillary_validate")),
			change:  reply(200, `{"status":{"success":false,"code":500,"message":"oops"}}`),
			outcome: b2core.OutcomeFailure, step: capillary.StepChange, reason: "status.success false (code 500)"},
		{name: "err/change_http_400", validate: reply(200, example(t, "capillary_validate")),
			change:  reply(400, `{"status":{"success":false,"code":400,"message":"bad"}}`),
			outcome: b2core.OutcomeRejected, step: capillary.StepChange, reason: "rejected: bad"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var bodies sync.Map
			mux := http.NewServeMux()
			mux.HandleFunc("POST "+capillary.PathValidate, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				bodies.Store("validate", string(b))
				tc.validate(w, r)
			})
			mux.HandleFunc("POST "+capillary.PathChange, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				bodies.Store("change", string(b))
				tc.change(w, r)
			})
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			rec := &testutil.Recorder{Inner: b2core.NewHTTPTransport(srv.URL, time.Second)}
			c := capillary.New(rec)
			err := c.ChangePasswordFlow(t.Context(), capillary.IdentifierMobile, "7411639213", "1234", "SOLAPIPOCNEW", oldPass, newPass)
			steps, flows, names := sent(rec)
			for _, f := range flows {
				assert.Equal(t, capillary.FlowPasswordChange, f)
			}
			if tc.outcome == "" {
				require.NoError(t, err)
				assert.Equal(t, []string{capillary.StepValidate, capillary.StepChange}, steps)
				assert.Equal(t, []string{"POST /auth/v1/mfa/password/validate", "POST /auth/v1/mfa/password/change"}, names)
				v, _ := bodies.Load("validate")
				var vr capillary.ValidateRequest
				require.NoError(t, json.Unmarshal([]byte(v.(string)), &vr))
				assert.Equal(t, capillary.ValidateRequest{IdentifierType: "MOBILE", IdentifierValue: "7411639213", DeviceID: "1234", Brand: "SOLAPIPOCNEW", Password: oldPass}, vr)
				ch, _ := bodies.Load("change")
				var cr capillary.ChangeRequest
				require.NoError(t, json.Unmarshal([]byte(ch.(string)), &cr))
				assert.Equal(t, newPass, cr.NewPassword)
				assert.Equal(t, newPass, cr.ConfirmPassword)
				assert.Equal(t, oldPass, cr.Password)
				assert.True(t, strings.HasPrefix(cr.Token, "eyJpZHYi"))
				return
			}
			require.Error(t, err)
			var se *b2core.StepError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.outcome, se.Outcome, se.Error())
			assert.Equal(t, tc.step, se.Step)
			assert.Equal(t, capillary.FlowPasswordChange, se.Flow)
			assert.Contains(t, se.Reason, tc.reason)
			for _, s := range []string{oldPass, newPass} {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}
}

func TestStepsAlone(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(reply(200, `{"status":{"success":true,"code":200,"message":"SUCCESS"},"token":"tok"}`))
	t.Cleanup(srv.Close)
	rec := &testutil.Recorder{Inner: b2core.NewHTTPTransport(srv.URL, time.Second)}
	c := capillary.New(rec)
	tok, err := c.Validate(t.Context(), capillary.ValidateRequest{Password: oldPass})
	require.NoError(t, err)
	assert.Equal(t, "tok", tok)
	require.NoError(t, c.Change(t.Context(), capillary.ChangeRequest{Token: tok}))
	_, flows, _ := sent(rec)
	assert.Equal(t, []string{"step", "step"}, flows)

	_, err = capillary.New(b2core.NewHTTPTransport("http://127.0.0.1:1", time.Second)).Validate(t.Context(), capillary.ValidateRequest{})
	assert.Equal(t, b2core.OutcomeFailure, b2core.OutcomeOf(err))
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(example(f, "capillary_change")))
	f.Add([]byte(example(f, "capillary_validate")))
	for _, s := range []string{``, `null`, `[]`, `{}`, `{"status":null}`, `{"status":[]}`, `{"status":{"success":"yes"}}`, `{"status":{"success":true,},}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := capillary.DecodeResponse(b)
		if err == nil {
			require.NotNil(t, r)
			return
		}
		var de *b2core.DecodeError
		require.ErrorAs(t, err, &de)
	})
}

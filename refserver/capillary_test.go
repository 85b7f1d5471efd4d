package refserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/capillary"
	"github.com/authflow/authflow/testhooks"
)

func capStatus(t *testing.T, r response, status int) capillary.Response {
	t.Helper()
	require.Equal(t, status, r.status, "%s", r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	var res capillary.Response
	r.decode(t, &res)
	require.Equal(t, status, res.Status.Code)
	require.Equal(t, status == http.StatusOK, res.Status.Success)
	require.NotEmpty(t, res.Status.Message)
	return res
}

func TestCapillaryFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.client("sms")
	idents := []struct {
		name, typ, value string
	}{
		{"ok/mobile", "MOBILE", strings.TrimPrefix(*c.Phone, "+")},
		{"ok/email", "EMAIL", strings.ToUpper(c.Email)},
		{"ok/username", "USERNAME", c.Username},
		{"ok/externalid", "EXTERNALID", c.ExternalID},
	}
	password := c.Password
	for i, id := range idents {
		t.Run(id.name, func(t *testing.T) {
			v := capillary.ValidateRequest{IdentifierType: id.typ, IdentifierValue: id.value, DeviceID: "dev-1", Brand: "BRAND", Password: password}
			res := capStatus(t, h.do("POST", capillary.PathValidate, v), http.StatusOK)
			require.Equal(t, "SUCCESS", res.Status.Message)
			require.NotEmpty(t, res.Token)

			newPw := "Capillary-" + string(rune('a'+i)) + "-pass"
			ch := capillary.ChangeRequest{DeviceID: "dev-1", Password: password, NewPassword: newPw, ConfirmPassword: newPw,
				Brand: "BRAND", Token: res.Token, IdentifierType: id.typ, IdentifierValue: id.value}
			// Rejections that leave the token alone.
			bad := ch
			bad.ConfirmPassword = "something-else"
			capStatus(t, h.do("POST", capillary.PathChange, bad), http.StatusBadRequest)
			bad = ch
			bad.DeviceID = "dev-2"
			capStatus(t, h.do("POST", capillary.PathChange, bad), http.StatusUnauthorized)
			bad = ch
			bad.Brand = "OTHER"
			capStatus(t, h.do("POST", capillary.PathChange, bad), http.StatusUnauthorized)
			bad = ch
			bad.IdentifierType, bad.IdentifierValue = "USERNAME", "someone-else"
			capStatus(t, h.do("POST", capillary.PathChange, bad), http.StatusUnauthorized)

			res = capStatus(t, h.do("POST", capillary.PathChange, ch), http.StatusOK)
			require.JSONEq(t, `{"status":{"success":true,"code":200,"message":"SUCCESS"}}`, string(mustJSON(t, res)))
			// Single use.
			capStatus(t, h.do("POST", capillary.PathChange, ch), http.StatusUnauthorized)
			password = newPw
		})
	}
	require.Equal(t, http.StatusOK, h.signin(h.wizard(), c.Email, password).status)

	t.Run("err/wrong-current-password-uses-token", func(t *testing.T) {
		v := capillary.ValidateRequest{IdentifierType: "EMAIL", IdentifierValue: c.Email, DeviceID: "d", Brand: "b", Password: password}
		res := capStatus(t, h.do("POST", capillary.PathValidate, v), http.StatusOK)
		ch := capillary.ChangeRequest{DeviceID: "d", Password: "wrong-password", NewPassword: "Another-pass-1", ConfirmPassword: "Another-pass-1",
			Brand: "b", Token: res.Token, IdentifierType: "EMAIL", IdentifierValue: c.Email}
		capStatus(t, h.do("POST", capillary.PathChange, ch), http.StatusUnauthorized)
		ch.Password = password
		capStatus(t, h.do("POST", capillary.PathChange, ch), http.StatusUnauthorized)
	})
	t.Run("err/expired-token", func(t *testing.T) {
		v := capillary.ValidateRequest{IdentifierType: "EMAIL", IdentifierValue: c.Email, DeviceID: "d", Brand: "b", Password: password}
		res := capStatus(t, h.do("POST", capillary.PathValidate, v), http.StatusOK)
		h.clk.Advance(DefaultCapillaryTokenTTL)
		ch := capillary.ChangeRequest{DeviceID: "d", Password: password, NewPassword: "Another-pass-1", ConfirmPassword: "Another-pass-1",
			Brand: "b", Token: res.Token, IdentifierType: "EMAIL", IdentifierValue: c.Email}
		capStatus(t, h.do("POST", capillary.PathChange, ch), http.StatusUnauthorized)
	})
	t.Run("ok/history-records-changed", func(t *testing.T) {
		hh := newHarness(t)
		cc := hh.client()
		v := capillary.ValidateRequest{IdentifierType: "EMAIL", IdentifierValue: cc.Email, DeviceID: "d", Brand: "b", Password: cc.Password}
		res := capStatus(t, hh.do("POST", capillary.PathValidate, v), http.StatusOK)
		ch := capillary.ChangeRequest{DeviceID: "d", Password: cc.Password, NewPassword: "Another-pass-1", ConfirmPassword: "Another-pass-1",
			Brand: "b", Token: res.Token, IdentifierType: "EMAIL", IdentifierValue: cc.Email}
		capStatus(t, hh.do("POST", capillary.PathChange, ch), http.StatusOK)
		cc.Password = "Another-pass-1"
		tok := hh.login(cc, "")
		r := hh.do("GET", "/api/v2/my/password/changes", nil, bearerHdr(tok.AccessToken.Token)...)
		var list b2core.List[b2core.PasswordChange]
		r.decode(t, &list)
		require.Equal(t, 1, list.Total)
		require.Equal(t, "changed", list.Data[0].Type)
	})
}

func TestCapillaryRejections(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withPolicy(testhooks.Limit{Attempts: 3, WindowSeconds: 60, BlockSeconds: 90}, testhooks.DefaultPolicy().Refresh))
	c := h.client()
	good := capillary.ValidateRequest{IdentifierType: "EMAIL", IdentifierValue: c.Email, DeviceID: "d", Brand: "b", Password: c.Password}
	cases := []struct {
		name   string
		body   any
		status int
	}{
		{"err/malformed-json", raw(`{"identifierType":`), http.StatusBadRequest},
		{"err/empty-body", nil, http.StatusBadRequest},
		{"err/missing-fields", raw(`{"identifierType":"EMAIL"}`), http.StatusBadRequest},
		{"err/mistyped-field", raw(`{"identifierType":"EMAIL","identifierValue":1,"deviceId":"d","brand":"b","password":"p"}`), http.StatusBadRequest},
		{"err/unknown-identifier-type", capillary.ValidateRequest{IdentifierType: "FAX", IdentifierValue: "1", DeviceID: "d", Brand: "b", Password: "p"}, http.StatusBadRequest},
		{"err/oversized", raw(`{"password":"` + strings.Repeat("a", MaxBodyBytes) + `"}`), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{capillary.PathValidate, capillary.PathChange} {
				r := h.do("POST", path, tc.body)
				res := capStatus(t, r, tc.status)
				require.NotContains(t, res.Status.Message, c.Password)
			}
		})
	}
	t.Run("err/wrong-password-same-as-unknown", func(t *testing.T) {
		wrong := good
		wrong.Password = "wrong-password"
		unknown := wrong
		unknown.IdentifierValue = "nobody@authflow.test"
		a := h.do("POST", capillary.PathValidate, wrong)
		b := h.do("POST", capillary.PathValidate, unknown)
		capStatus(t, a, http.StatusUnauthorized)
		require.Equal(t, string(a.body), string(b.body))
	})
	t.Run("err/lockout", func(t *testing.T) {
		wrong := good
		wrong.Password = "wrong-password"
		for i := 0; i < 2; i++ { // with the one above: 3 failures
			capStatus(t, h.do("POST", capillary.PathValidate, wrong), http.StatusUnauthorized)
		}
		r := h.do("POST", capillary.PathValidate, good)
		capStatus(t, r, http.StatusTooManyRequests)
		require.Equal(t, "90", r.header.Get("Retry-After"))
		h.clk.Advance(90 * time.Second)
		capStatus(t, h.do("POST", capillary.PathValidate, good), http.StatusOK)
	})
	t.Run("err/wrong-method", func(t *testing.T) {
		h.do("GET", capillary.PathValidate, nil).requireError(t, http.StatusMethodNotAllowed)
	})
}

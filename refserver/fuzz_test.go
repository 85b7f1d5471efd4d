package refserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzDecodeRequest sends arbitrary bodies to every endpoint that takes
// one: the answer is never a 5xx or a panic, and errors are JSON.
//
//	go test -run='^$' -fuzz=FuzzDecodeRequest -fuzztime=10s ./refserver/
func FuzzDecodeRequest(f *testing.F) {
	srv, err := New(Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	acct, _, err := srv.createClient([]string{"google", "sms"}, false)
	if err != nil {
		f.Fatal(err)
	}
	access := *srv.newSession(acct).AccessToken

	type target struct{ method, path string }
	var targets []target
	for _, ep := range b2Endpoints() {
		if ep.body != nil {
			targets = append(targets, target{ep.method, ep.path})
		}
	}
	targets = append(targets, target{"POST", "/auth/v1/mfa/password/validate"}, target{"POST", "/auth/v1/mfa/password/change"}, target{"POST", "/__hooks/clients"})

	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `1`, `{"uuid":`, `{"uuid":null}`, `{"uuid":1}`, `{"uuid":{"a":1}}`,
		`{"uuid":"36f59381-5b54-48bd-a0c7-3b908c476732","email":"a@b.c","password":"p","device_fingerprint":"eyJ1c2VyX2FnZW50IjoieCJ9"}`,
		`{"refreshToken":"abc"}`, `{"token":"t","code":"123456"}`, `{"password":"Passw0rd!"}`, `{"uuid":"u","phone":"+15550100000"}`,
		`{"signin":{"attempts":1,"windowSeconds":1,"blockSeconds":1},"refresh":{"attempts":1,"windowSeconds":1,"blockSeconds":1}}`,
		`{"twoFactor":["google","sms"]}`, `{"identifierType":"EMAIL","identifierValue":"a@b.c","deviceId":"d","brand":"b","password":"p"}`,
		"{\"uuid\":\"\xff\xfe\"}", `{"a":` + string(bytes.Repeat([]byte("["), 1000)), `{"password":"\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000"}`,
	}
	for i := range targets {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		tg := targets[int(which)%len(targets)]
		req := httptest.NewRequest(tg.method, tg.path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+access.Token)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", tg.method, tg.path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("%s %s: error with content type %q", tg.method, tg.path, ct)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %s: error body is not JSON: %s", tg.method, tg.path, rec.Body)
			}
		}
	})
}

// FuzzDecodeFingerprint: the device fingerprint check never panics and only
// accepts Base64 of a JSON object with a string user_agent.
func FuzzDecodeFingerprint(f *testing.F) {
	for _, s := range []string{"", "e30=", "eyJ1c2VyX2FnZW50IjoieCJ9", "eyJ1c2VyX2FnZW50IjoieCJ9===", "!!", "eyJ1c2VyX2FnZW50IjpudWxsfQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fp string) {
		if validFingerprint(fp) {
			raw := decodeAnyBase64(fp)
			var v struct {
				UA *string `json:"user_agent"`
			}
			if raw == nil || json.Unmarshal(raw, &v) != nil || v.UA == nil {
				t.Fatalf("accepted %q", fp)
			}
		}
	})
}

// FuzzDecodeHistoryQuery: the history query parser never panics and keeps
// limit and offset in range.
func FuzzDecodeHistoryQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10&offset=0", "limit=-1", "offset=99999999999999999999", "sort_order=asc&sort_by=time",
		"filter[isEnabled]=true&filter[provider]=sms&filter[timeFrom]=2022-12-01T07:23:59%2B00:00", "filter[timeTo]=2022-12-01T07:23:59 00:00", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		lq, err := parseListQuery(v, "time", true)
		if err == nil && (lq.limit < 1 || lq.limit > MaxLimit || lq.offset < 0) {
			t.Fatalf("%q: limit %d offset %d", q, lq.limit, lq.offset)
		}
		if err != nil {
			if ae, ok := err.(*apiError); !ok || ae.status != http.StatusBadRequest {
				t.Fatalf("%q: %v", q, err)
			}
		}
	})
}

func decodeAnyBase64(s string) []byte {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return nil
}

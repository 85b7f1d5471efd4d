package reports

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/authflow/authflow/conformance"
)

func TestMaskSecrets(t *testing.T) {
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	cases := []struct{ in, want string }{
		{"Bearer " + jwt, "Bearer eyJ****(JWT masked)"},
		{"authorization: bearer abcdefgh12345678", "authorization: bearer ****"},
		{`token in text ` + jwt + ` end`, `token in text eyJ****(JWT masked) end`},
		{`{"password":"hunter2","email":"a@b.c"}`, `{"password":"****","email":"a@b.c"}`},
		{`{"newPassword": "x1", "confirmPassword":"x1"}`, `{"newPassword": "****", "confirmPassword":"****"}`},
		{`{"access_token":"abc","refresh_token":"def","expires_in":900}`, `{"access_token":"****","refresh_token":"****","expires_in":900}`},
		{`{"accessToken":"abc","successToken":"q"}`, `{"accessToken":"****","successToken":"****"}`},
		{`{"code":"492039","provider":"google"}`, `{"code":"****","provider":"google"}`},
		{`{"status":{"code":401,"message":"token required"}}`, `{"status":{"code":401,"message":"token required"}}`},
		{`{"token":""}`, `{"token":""}`},
		{"/reset?token=abcdef&x=1", "/reset?token=****&x=1"},
		{"grant_type=password&password=s3cret&client_secret=zz", "grant_type=password&password=****&client_secret=****"},
		{"uuid 5f0c2a56-7d1e-4b8e-9a43-0d6f1c3e2b11 stays", "uuid 5f0c2a56-7d1e-4b8e-9a43-0d6f1c3e2b11 stays"},
		{"", ""},
	}
	for _, c := range cases {
		if got := MaskSecrets(c.in); got != c.want {
			t.Errorf("MaskSecrets(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	h := maskHeaders(map[string]string{"Authorization": "Bearer abc.def", "Cookie": "sid=1", "Content-Type": "application/json"})
	if h["Authorization"] != "Bearer ****" || h["Cookie"] != "****" || h["Content-Type"] != "application/json" {
		t.Errorf("headers %v", h)
	}
}

// No output may carry the credentials planted in the conformance fixture.
func TestNoSecretInOutputs(t *testing.T) {
	m := fullModel(t)
	secrets := []string{
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb2NrLXRlc3QifQ", // bearer JWT
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9",                       // access_token
		"r3fr3sh-t0k3n-value-0123456789",
		"492039", "Correct-Horse-1", "Old-Pass-1", "New-Pass-2", "wrong-6",
	}
	for _, r := range []struct {
		name   string
		render func(*bytes.Buffer, *Model) error
	}{
		{"html", func(b *bytes.Buffer, m *Model) error { return RenderHTML(b, m) }},
		{"markdown", func(b *bytes.Buffer, m *Model) error { return RenderMarkdown(b, m) }},
		{"junit", func(b *bytes.Buffer, m *Model) error { return RenderJUnit(b, m) }},
	} {
		var b bytes.Buffer
		if err := r.render(&b, m); err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(b.String(), s) {
				t.Errorf("%s output contains %q", r.name, s)
			}
		}
	}
}

func TestParseConformance(t *testing.T) {
	data, err := os.ReadFile("testdata/conformance.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseConformance(data, "c.json")
	if err != nil {
		t.Fatal(err)
	}
	c := buildConformance(r, "c.json")
	if c.Passed || c.MustFailed != 2 || c.Accepted != 1 || c.Counts[conformance.Pass] != 9 || len(c.Groups) != 6 {
		t.Errorf("%+v", c)
	}
	np := c.NotPassed()
	if len(np) != 5 || np[0].Verdict != conformance.Fail || np[0].Baseline || !np[len(np)-1].Baseline {
		t.Errorf("not passed order: %v", np)
	}
	for _, bad := range []struct{ in, want string }{
		{``, "empty file"},
		{`{`, "invalid JSON"},
		{`{"tool":"authflow"}`, `no "checks"`},
		{`{"metrics":{}}`, "pass it with --summary"},
		{`{"checks":[{"id":"A","verdict":"MAYBE"}]}`, `unknown verdict "MAYBE"`},
		{`{"checks":[{"verdict":"PASS"}]}`, "has no id"},
		{`{"checks":{"id":"A"}}`, "cannot unmarshal"},
	} {
		_, err := ParseConformance([]byte(bad.in), "c.json")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.in, err, bad.want)
		}
	}
}

// The JSON `authflow conform` really writes (its own golden file) must load.
func TestParseConformanceFromSuite(t *testing.T) {
	data, err := os.ReadFile("../conformance/testdata/TestRenderJSON.golden")
	if err != nil {
		t.Skipf("no conformance suite output to read: %v", err)
	}
	r, err := ParseConformance(data, "conform.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(Input{Conformance: r, ConformanceSource: "conform.json"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Conformance.Checks) == 0 || len(m.Conformance.Checks) != len(r.Checks) {
		t.Errorf("%d checks", len(m.Conformance.Checks))
	}
	for _, render := range []func(*bytes.Buffer, *Model) error{
		func(b *bytes.Buffer, m *Model) error { return RenderHTML(b, m) },
		func(b *bytes.Buffer, m *Model) error { return RenderMarkdown(b, m) },
		func(b *bytes.Buffer, m *Model) error { return RenderJUnit(b, m) },
	} {
		var b bytes.Buffer
		if err := render(&b, m); err != nil {
			t.Fatal(err)
		}
	}
}

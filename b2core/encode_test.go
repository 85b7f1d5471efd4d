package b2core

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzBodiesEncodeAsStdlib holds the hand-written request bodies to
// json.Marshal, byte for byte, for any strings in any field.
func FuzzBodiesEncodeAsStdlib(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uo\te`, "<a&b>", "\x00\x1f\b\f\n\r\t", "\u2028\u2029", "\xff\xfe", "é𝄞", "a\xc3"} {
		f.Add(s, s+"x", "36f59381-5b54-48bd-a0c7-3b908c476732")
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, body := range []jsonBody{
			SignInRequest{UUID: c, Email: a, Password: b, DeviceFingerprint: a + b},
			SignInRequest{UUID: a, Email: b, Password: c, DeviceFingerprint: "", RecaptchaResponse: b},
			SignIn2FARequest{UUID: a, Type: b},
			CodeRequest{UUID: b, Code: c},
		} {
			want, err := json.Marshal(body)
			require.NoError(t, err)
			require.Equal(t, string(want), string(body.appendJSON(nil)))
		}
	})
}

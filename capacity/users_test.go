package capacity

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Back-to-back runs get disjoint users until the file is used up.
func TestUserSlices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
		wantErr             bool
	}{
		{name: "ok/json", file: "u.json", content: `[{"email":"a"},{"email":"b"},{"email":"c"},{"email":"d"},{"email":"e"}]`},
		{name: "ok/csv", file: "u.csv", content: "email,password\na,1\nb,2\nc,3\nd,4\ne,5\n"},
		{name: "err/not-an-array", file: "u.json", content: `{"email":"a"}`, wantErr: true},
		{name: "err/empty", file: "u.json", content: `[]`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			u, err := NewUserSlices(path, dir)
			if tc.wantErr {
				assert.ErrorIs(t, err, ErrUsersFile)
				return
			}
			require.NoError(t, err)
			emails := func(p string) []string {
				b, err := os.ReadFile(p)
				require.NoError(t, err)
				if strings.HasSuffix(p, ".csv") {
					lines := strings.Split(strings.TrimSpace(string(b)), "\n")
					require.Equal(t, "email,password", lines[0])
					var out []string
					for _, l := range lines[1:] {
						out = append(out, strings.Split(l, ",")[0])
					}
					return out
				}
				var list []struct{ Email string }
				require.NoError(t, json.Unmarshal(b, &list))
				var out []string
				for _, x := range list {
					out = append(out, x.Email)
				}
				return out
			}
			first, err := u.Next(2)
			require.NoError(t, err)
			second, err := u.Next(2)
			require.NoError(t, err)
			third, err := u.Next(2)
			require.NoError(t, err)
			all, err := u.Next(100)
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "b"}, emails(first))
			assert.Equal(t, []string{"c", "d"}, emails(second))
			assert.Equal(t, []string{"e", "a"}, emails(third), "wraps around")
			assert.Len(t, emails(all), 5, "never more than the file")
		})
	}
}

// Whatever a users file holds, splitting it never panics, and a JSON file
// accepted splits into JSON arrays of its own users.
func FuzzUserSlices(f *testing.F) {
	f.Add([]byte(`[{"email":"a"},{"email":"b"}]`), false, 1)
	f.Add([]byte("email,password\na,1\n"), true, 3)
	f.Add([]byte(`[1, "x", null, {}]`), false, 2)
	f.Add([]byte("\n\n"), true, 0)
	f.Fuzz(func(t *testing.T, content []byte, csv bool, want int) {
		dir := t.TempDir()
		name := "u.json"
		if csv {
			name = "u.csv"
		}
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, content, 0o600))
		u, err := NewUserSlices(path, dir)
		if err != nil {
			return
		}
		for range 3 {
			out, err := u.Next(want % 1000)
			require.NoError(t, err)
			if !csv {
				b, err := os.ReadFile(out)
				require.NoError(t, err)
				var list []json.RawMessage
				require.NoError(t, json.Unmarshal(b, &list), "%s", b)
				assert.LessOrEqual(t, len(list), u.Len())
			}
		}
	})
}

package refserver

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/authflow/authflow/testhooks"
)

func TestParseMix(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want Mix
		err  bool
	}{
		{"ok/default", "", DefaultMix, false},
		{"ok/full", "none=25,google=50,sms=15,both=10", Mix{25, 50, 15, 10}, false},
		{"ok/partial", "google=1", Mix{Google: 1}, false},
		{"ok/spaces-case", " None = 1 , BOTH=2", Mix{None: 1, Both: 2}, false},
		{"err/unknown-kind", "email=3", Mix{}, true},
		{"err/negative", "none=-1", Mix{}, true},
		{"err/no-weight", "none", Mix{}, true},
		{"err/all-zero", "none=0,google=0", Mix{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMix(tc.in)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestGenerateUsers(t *testing.T) {
	t.Parallel()
	a, err := GenerateUsers(UsersConfig{Count: 1000, Seed: "s1"})
	require.NoError(t, err)
	b, err := GenerateUsers(UsersConfig{Count: 1000, Seed: "s1"})
	require.NoError(t, err)
	c, err := GenerateUsers(UsersConfig{Count: 1000, Seed: "s2"})
	require.NoError(t, err)
	require.Equal(t, a, b, "deterministic")
	require.NotEqual(t, a[0].Password, c[0].Password, "seeded")

	kinds := map[string]int{}
	phones, emails := map[string]bool{}, map[string]bool{}
	for i, u := range a {
		require.Equal(t, int64(i+1), u.ID)
		require.Equal(t, "user"+itoa(u.ID)+"@load.authflow.test", u.Email)
		require.NoError(t, checkPasswordPolicy("password", u.Password))
		kinds[strings.Join(u.TwoFactor, "+")]++
		require.Equal(t, u.TOTPSecret != nil, strings.Contains(strings.Join(u.TwoFactor, ","), "google"))
		require.Equal(t, u.Phone != nil, strings.Contains(strings.Join(u.TwoFactor, ","), "sms"))
		if u.Phone != nil {
			require.True(t, validE164(*u.Phone), *u.Phone)
			require.False(t, phones[*u.Phone])
			phones[*u.Phone] = true
		}
		require.False(t, emails[u.Email])
		emails[u.Email] = true
	}
	require.Equal(t, map[string]int{"": 250, "google": 500, "sms": 150, "google+sms": 100}, kinds)
	// Interleaved: the first 20 already hold every kind.
	first := map[string]bool{}
	for _, u := range a[:20] {
		first[strings.Join(u.TwoFactor, "+")] = true
	}
	require.Len(t, first, 4)
}

func TestLoadUsersServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"users.json", "users.csv"} {
		t.Run("ok/"+name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, name)
			h := newHarness(t, func(c *Config) {
				c.Users = UsersConfig{Count: 40, Mix: Mix{None: 1, Google: 1, SMS: 1, Both: 1}, Seed: "x", File: path}
			})
			users, err := GenerateUsers(UsersConfig{Count: 40, Mix: Mix{None: 1, Google: 1, SMS: 1, Both: 1}, Seed: "x"})
			require.NoError(t, err)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			if strings.HasSuffix(name, ".json") {
				var got []LoadUser
				require.NoError(t, json.Unmarshal(b, &got))
				require.Equal(t, users, got)
				require.Contains(t, string(b), `"totpSecret":null`)
			} else {
				recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
				require.NoError(t, err)
				require.Equal(t, []string{"email", "password", "totpSecret", "phone", "twoFactor", "id"}, recs[0])
				require.Len(t, recs, 41)
				require.Equal(t, users[3].Email, recs[4][0])
				require.Equal(t, users[3].Password, recs[4][1])
				require.Equal(t, "google|sms", recs[4][4])
			}
			// Only this file's temporary: the other subtest writes its own
			// into the same directory at the same time.
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				require.False(t, strings.HasPrefix(e.Name(), "."+name+".tmp-"), "temporary file left: %s", e.Name())
			}
			// Each kind signs in with the file's secrets (maybe before the
			// background worker hashed it: on demand).
			for _, u := range users[:4] {
				c := testhooks.Client{ID: u.ID, Email: u.Email, Password: u.Password, TOTPSecret: u.TOTPSecret, Phone: u.Phone}
				tok := h.login(c, "")
				require.NotEmpty(t, tok.AccessToken.Token, u.Email)
			}
			// Hook clients get the next ids.
			require.Equal(t, int64(41), h.client().ID)
		})
	}
}

func TestLoadUsersLazyHashing(t *testing.T) {
	t.Parallel()
	srv, err := New(Config{Users: UsersConfig{Count: 50}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer srv.Close()
	// The background worker hashes every user and drops the plaintext.
	require.Eventually(t, func() bool {
		for _, a := range srv.loadUsers {
			a.mu.Lock()
			plain := a.pwPlain
			a.mu.Unlock()
			if plain != "" {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	users, _ := GenerateUsers(UsersConfig{Count: 50})
	a := srv.accounts.byEmailAddr(users[7].Email)
	require.True(t, a.checkPassword(srv.cfg.Hash, users[7].Password))
	require.False(t, a.checkPassword(srv.cfg.Hash, users[8].Password))

	// On demand, before the worker: a user hashed by its first sign-in.
	lazy := &account{id: 1, email: "lazy@x", pwPlain: "Lazy-passw0rd"}
	require.True(t, lazy.checkPassword(LoadTestHash, "Lazy-passw0rd"))
	require.Empty(t, lazy.pwPlain)
	require.True(t, lazy.checkPassword(LoadTestHash, "Lazy-passw0rd"))
	// A password change before any hash discards the lazy plaintext.
	lazy2 := &account{id: 2, email: "lazy2@x", pwPlain: "Lazy-passw0rd"}
	lazy2.setPassword(hashPassword(LoadTestHash, "Other-passw0rd"))
	require.False(t, lazy2.checkPassword(LoadTestHash, "Lazy-passw0rd"))
	require.True(t, lazy2.checkPassword(LoadTestHash, "Other-passw0rd"))
}

// Many users are indexed and written at start, and a user the background
// worker has not hashed yet signs in at once (hashed on demand). How fast
// 100 000 users are ready is BenchmarkLoadUsers100k's business.
func TestLoadUsersServeAtOnce(t *testing.T) {
	t.Parallel()
	const n = 20_000
	path := filepath.Join(t.TempDir(), "users.json")
	srv, err := New(Config{Users: UsersConfig{Count: n, File: path}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer srv.Close()
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(n*100))
	require.NotNil(t, srv.accounts.byEmailAddr(fmt.Sprintf("user%d@load.authflow.test", n)))
	users, _ := GenerateUsers(UsersConfig{Count: n})
	u := users[len(users)-1]
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v2/my/signin/wizard", nil))
	var w struct{ UUID string }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &w))
	body, _ := json.Marshal(map[string]string{"uuid": w.UUID, "email": u.Email, "password": u.Password, "device_fingerprint": fingerprint})
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v2/my/signin", strings.NewReader(string(body))))
	require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, rec.Code, rec.Body.String())
}

// BenchmarkLoadUsers100k measures how long `serve --users 100000` takes to
// be ready: accounts indexed and the user file written (hashing goes on in
// the background).
func BenchmarkLoadUsers100k(b *testing.B) {
	for range b.N {
		path := filepath.Join(b.TempDir(), "users.json")
		start := time.Now()
		srv, err := New(Config{Users: UsersConfig{Count: 100_000, File: path}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-to-ready")
		_ = srv.Close()
	}
}

// BenchmarkLoadUsers1M is BenchmarkLoadUsers100k at a million users, with
// the memory the runtime holds once ready and the live heap (`serve --users 1000000`: target 5 s, 1 GB).
func BenchmarkLoadUsers1M(b *testing.B) {
	for range b.N {
		path := filepath.Join(b.TempDir(), "users.json")
		runtime.GC()
		start := time.Now()
		srv, err := New(Config{Users: UsersConfig{Count: 1_000_000, File: path}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-to-ready")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.Sys)/(1<<20), "MiB-sys-ready")
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-live")
		_ = srv.Close()
	}
}

// The users file, written user by user, is byte for byte what
// encoding/json writes for the same users, odd strings included.
func TestUsersFileIsEncodingJSON(t *testing.T) {
	t.Parallel()
	users, err := GenerateUsers(UsersConfig{Count: 200})
	require.NoError(t, err)
	odd := "a\"b\\c\n\t\x01<>&\u2028\u2029é\xff"
	users = append(users, LoadUser{ID: 201, Email: odd, Password: odd, TOTPSecret: &odd, TwoFactor: nil, Username: odd})
	path := filepath.Join(t.TempDir(), "users.json")
	require.NoError(t, WriteUsersFile(path, users))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	want, err := json.Marshal(users)
	require.NoError(t, err)
	require.Equal(t, string(want)+"\n", string(got))
}

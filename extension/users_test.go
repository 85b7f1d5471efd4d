package extension

import (
	"hash/maphash"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spf13/afero"

	"go.k6.io/k6/v2/lib/fsext"

	"github.com/authflow/authflow/b2core"
	"github.com/authflow/authflow/internal/testutil"
)

func TestParseUsers(t *testing.T) {
	t.Parallel()
	jsonFile := `[{"id":1,"email":"a@x.test","password":"p1","totpSecret":"JBSWY3DPEHPK3PXP","phone":null,"twoFactor":["google"],"username":"user1"},
		{"id":2,"email":"b@x.test","password":"p2","totpSecret":null,"phone":"+15550000002","twoFactor":["sms"]}]`
	users, err := parseUsers([]byte(jsonFile))
	require.NoError(t, err)
	require.Len(t, users, 2)
	assert.Equal(t, User{ID: 1, Email: "a@x.test", Password: "p1", TOTPSecret: "JBSWY3DPEHPK3PXP",
		TwoFactor: []string{"google"}, Username: "user1"}, users[0])
	assert.Equal(t, "+15550000002", users[1].Phone)

	csvFile := "email,password,totpSecret,phone,twoFactor,id\n" +
		"a@x.test,p1,JBSWY3DPEHPK3PXP,,google,1\n" +
		"b@x.test,\"p,2\",,+15550000002,google;sms,2\n\n"
	users, err = parseUsers([]byte(csvFile))
	require.NoError(t, err)
	require.Len(t, users, 2)
	assert.Equal(t, "p,2", users[1].Password)
	assert.Equal(t, []string{"google", "sms"}, users[1].TwoFactor)
	assert.EqualValues(t, 2, users[1].ID)

	for in, want := range map[string]string{
		"":                                  "empty",
		"[]":                                "no users",
		`[{"password":"secret-pw"}]`:        "user 1: no email",
		`[{"email":"a","twoFactor":["x"]}]`: "twoFactor",
		"password\nsecret-pw\n":             "no email column",
		"email,id\na@x,notanumber\n":        "line 2: id is not an integer",
		`[{"email": "a", "password": 5}]`:   "wrong type",
	} {
		_, err := parseUsers([]byte(in))
		if assert.Error(t, err, in) {
			assert.Contains(t, err.Error(), want, in)
			assert.NotContains(t, err.Error(), "secret-pw")
		}
	}
}

func TestOpenUsersOncePerRun(t *testing.T) {
	t.Parallel()
	fs := fsext.NewMemMapFs()
	require.NoError(t, fsext.WriteFile(fs, "/data/users.json",
		[]byte(`[{"email":"a@x.test","password":"p1"},{"email":"b@x.test","password":"p2"}]`), 0o644))
	root := New()
	var reads int
	var mu sync.Mutex
	vus := make([]*testVU, 3)
	for i := range vus {
		v := newTestVU(t, root)
		v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": countingFs{Fs: fs, n: &reads, mu: &mu}}
		v.rt.VU.InitEnvField.CWD = &url.URL{Path: "/data/"}
		v.run(`var users = authflow.openUsers('./users.json');`)
		vus[i] = v
	}
	assert.Equal(t, 1, reads, "the file is read once per test run")
	v := vus[2]
	assert.EqualValues(t, 2, v.run(`users.length`).Export())
	assert.Equal(t, "b@x.test", v.run(`users[1].email`).Export())
	// A VU's copy is its own; the shared array is read-only.
	v.run(`var u = users[0]; u.password = 'changed'; users[0] = null;`)
	assert.Equal(t, "p1", vus[0].run(`users[0].password`).Export())
	assert.Equal(t, "p1", v.run(`users[0].password`).Export())

	err := newTestVU(t, root).toVU().runErr(`authflow.openUsers('./users.json')`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "init context")
}

type countingFs struct {
	fsext.Fs
	n  *int
	mu *sync.Mutex
}

func (c countingFs) Open(name string) (afero.File, error) {
	c.mu.Lock()
	*c.n++
	c.mu.Unlock()
	return c.Fs.Open(name)
}

func TestPickerTOTPReplayAndLockout(t *testing.T) {
	t.Parallel()
	set, err := packUsers("", []User{
		{Email: "a@x", Password: "p", TOTPSecret: "JBSWY3DPEHPK3PXP"},
		{Email: "b@x", Password: "p", TOTPSecret: "JBSWY3DPEHPK3PXP"},
		{Email: "c@x", Password: "p"},
	})
	require.NoError(t, err)
	p := newPickerState("t", set, pickerOptions{Policy: &Limit{Attempts: 2, WindowSeconds: 60, BlockSeconds: 100}})
	clock := testutil.NewClock(time.Unix(1_000_010, 0)) // 20 s into a 30 s step
	p.now = clock.Now

	got := map[string]int64{}
	for range 3 {
		e, at := p.tryPick(clock.Now())
		require.NotNil(t, e)
		assert.Equal(t, clock.Now(), at)
		got[e.user.Email] = e.leaseID
	}
	assert.Len(t, got, 3)
	// All leased: nobody now, and the earliest is a lease's end.
	e, at := p.tryPick(clock.Now())
	assert.Nil(t, e)
	assert.Equal(t, clock.Now().Add(time.Minute), at)

	// Released in the same TOTP step: the TOTP users wait for the next step,
	// the plain one is available at once.
	for email, id := range got {
		p.release(email, id, b2core.OutcomeSuccess, 0)
	}
	e, _ = p.tryPick(clock.Now())
	require.NotNil(t, e)
	assert.Equal(t, "c@x", e.user.Email)
	p.release("c@x", e.leaseID, b2core.OutcomeSuccess, 0)
	e, _ = p.tryPick(clock.Now())
	require.NotNil(t, e)
	assert.Equal(t, "c@x", e.user.Email)
	p.release("c@x", e.leaseID, b2core.OutcomeSuccess, 0)
	st := p.stats()
	assert.Equal(t, 2, st.TOTPWait)

	clock.Advance(10 * time.Second) // next step
	st = p.stats()
	assert.Equal(t, 3, st.Available)

	// A lockout blocks for Retry-After; refused attempts up to the policy
	// block as the server would.
	p.release("a@x", 0, b2core.OutcomeLockout, 30*time.Second)
	p.release("b@x", 0, b2core.OutcomeRejected, 0)
	assert.Equal(t, 1, p.stats().Blocked)
	p.release("b@x", 0, b2core.OutcomeOTPRejected, 0)
	assert.Equal(t, 2, p.stats().Blocked)
	clock.Advance(31 * time.Second)
	assert.Equal(t, 1, p.stats().Blocked)
	clock.Advance(70 * time.Second)
	assert.Equal(t, 0, p.stats().Blocked)

	// A stale release does not end a newer lease.
	e, _ = p.tryPick(clock.Now())
	require.NotNil(t, e)
	old := e.leaseID
	p.release(e.user.Email, old, b2core.OutcomeSuccess, 0)
	clock.Advance(30 * time.Second)
	for {
		e2, _ := p.tryPick(clock.Now())
		require.NotNil(t, e2)
		if e2.user.Email == e.user.Email {
			break
		}
	}
	p.release(e.user.Email, old, b2core.OutcomeSuccess, 0)
	i, ok := p.lookup(e.user.Email)
	require.True(t, ok)
	assert.Greater(t, p.entries[i].leasedUntil, clock.Now().UnixNano(), "a stale release leaves the new lease alone")
}

func TestPickerWarnsWhenTooSmall(t *testing.T) {
	t.Parallel()
	v := newTestVU(t, nil)
	v.run(`var users = [];
		for (var i = 0; i < 10; i++) users.push({ email: 'u' + i + '@x', password: 'p', totpSecret: 'JBSWY3DPEHPK3PXP' });
		var p1 = new authflow.UserPicker(users, { rate: 2, name: 'small' });
		var p2 = new authflow.UserPicker(users, { rate: 2, name: 'small' });
		var ok = new authflow.UserPicker(users, { rate: 0.2, name: 'big' });`)
	var warnings []string
	for _, e := range v.logs.AllEntries() {
		warnings = append(warnings, e.Message)
	}
	require.Len(t, warnings, 1, "warned once, for the small pool only")
	assert.Contains(t, warnings[0], "about 72 users are needed")
	assert.Contains(t, warnings[0], "--users 72")
	assert.EqualValues(t, 10, v.run(`p1.size`).Export())
}

func TestPickerSharedAcrossVUs(t *testing.T) {
	t.Parallel()
	root := New()
	const vus = 4
	seen := make([][]string, vus)
	parallelVUs(t, root, vus, func(v *testVU) {
		v.run(`var users = [];
			for (var i = 0; i < 8; i++) users.push({ email: 'u' + i + '@x', password: 'p', totpSecret: 'JBSWY3DPEHPK3PXP' });
			var picker = new authflow.UserPicker(users, { maxWait: 1 });`)
		v.root.pickers.states["default"].now = func() time.Time { return time.Unix(1_000_020, 0) }
	}, func(i int, v *testVU) {
		val, err := v.rt.VU.Runtime().RunString(`var got = [];
			for (var k = 0; k < 3; k++) { var u = picker.next(); if (u) { got.push(u.email); picker.release(u, 'success'); } }
			got.join(',')`)
		if assert.NoError(t, err) {
			s, _ := val.Export().(string)
			if s != "" {
				seen[i] = append(seen[i], splitComma(s)...)
			}
		}
	})
	// 8 TOTP users, one use each per 30-second step, across every VU.
	all := map[string]int{}
	total := 0
	for _, s := range seen {
		for _, e := range s {
			all[e]++
			total++
		}
	}
	for e, n := range all {
		assert.Equalf(t, 1, n, "%s handed out twice in one TOTP step", e)
	}
	assert.Equal(t, 8, total)
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// TestBigStateHoldsNoPointers guards what keeps a big user file or picker
// free for the garbage collector: the per-user records must not hold a
// pointer (string, slice, map, pointer, interface...), or every GC cycle
// of a test scans them all again.
func TestBigStateHoldsNoPointers(t *testing.T) {
	t.Parallel()
	var pointerFree func(reflect.Type) bool
	pointerFree = func(rt reflect.Type) bool {
		switch rt.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			return true
		case reflect.Array:
			return pointerFree(rt.Elem())
		case reflect.Struct:
			for i := range rt.NumField() {
				if !pointerFree(rt.Field(i).Type) {
					return false
				}
			}
			return true
		}
		return false
	}
	for _, rt := range []reflect.Type{reflect.TypeFor[userRec](), reflect.TypeFor[pickEntry]()} {
		assert.Truef(t, pointerFree(rt), "%s holds a pointer", rt)
	}
}

func TestPickerLookupChecksTheEmail(t *testing.T) {
	t.Parallel()
	set, err := packUsers("", []User{{Email: "a@x", Password: "p"}, {Email: "b@x", Password: "p"}, {Email: "a@x", Password: "dup"}})
	require.NoError(t, err)
	p := newPickerState("t", set, pickerOptions{})
	require.Len(t, p.entries, 2, "one entry per email")
	i, ok := p.lookup("b@x")
	require.True(t, ok)
	assert.Equal(t, "b@x", p.user(i).Email)
	// An email whose hash another email has is told apart by the email.
	set.byEmail[maphash.String(set.seed, "c@x")] = 0
	_, ok = p.lookup("c@x")
	assert.False(t, ok)
	set.sameHash["c@x"] = 1
	i, ok = p.lookup("c@x")
	assert.True(t, ok)
	assert.EqualValues(t, 1, i)
	// update keeps the changed user.
	require.True(t, p.update("a@x", func(u *User) { u.Password = "new" }))
	i, _ = p.lookup("a@x")
	assert.Equal(t, "new", p.user(i).Password)
}

// An exhausted picker answers from what its last scan found, but a user
// released or updated since is seen at once.
func TestPickerExhaustedSeesReleases(t *testing.T) {
	t.Parallel()
	set, err := packUsers("", []User{{Email: "a@x"}, {Email: "b@x"}, {Email: "c@x"}})
	require.NoError(t, err)
	clock := testutil.NewClock(time.Unix(1_700_000_000, 0))
	p := newPickerState("t", set, pickerOptions{Lease: time.Hour})
	p.now = clock.Now
	leases := map[string]int64{}
	for range 3 {
		e, _ := p.tryPick(clock.Now())
		require.NotNil(t, e)
		leases[e.user.Email] = e.leaseID
	}
	e, at := p.tryPick(clock.Now())
	require.Nil(t, e)
	assert.Equal(t, clock.Now().Add(time.Hour), at)
	clock.Advance(time.Second)
	e, _ = p.tryPick(clock.Now())
	require.Nil(t, e, "still exhausted")

	require.True(t, p.release("b@x", leases["b@x"], b2core.OutcomeSuccess, 0))
	e, _ = p.tryPick(clock.Now())
	require.NotNil(t, e, "the released user")
	assert.Equal(t, "b@x", e.user.Email)
	e, _ = p.tryPick(clock.Now())
	require.Nil(t, e)

	// A release by email alone (no lease id) is seen too.
	require.True(t, p.release("c@x", 0, b2core.OutcomeSuccess, 0))
	e, _ = p.tryPick(clock.Now())
	require.NotNil(t, e)
	assert.Equal(t, "c@x", e.user.Email)

	// And the end of a lease, without any release.
	clock.Advance(time.Hour - 2*time.Second)
	e, _ = p.tryPick(clock.Now())
	require.Nil(t, e)
	clock.Advance(time.Second)
	e, _ = p.tryPick(clock.Now())
	require.NotNil(t, e)
	assert.Equal(t, "a@x", e.user.Email, "leased first, free first")
}

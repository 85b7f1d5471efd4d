package extension

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.k6.io/k6/v2/lib"
	"go.k6.io/k6/v2/lib/fsext"
)

func TestCommandLineSegment(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
		err  string
	}{
		{[]string{"k6", "run", "s.js"}, "", ""},
		{[]string{"k6", "run", "--execution-segment", "1/2:1", "s.js"}, "1/2:1", ""},
		{[]string{"k6", "run", "--execution-segment=0:50%", "s.js"}, "0:1/2", ""},
		{[]string{"k6", "run", "--execution-segment", "0:1", "s.js"}, "", ""},
		{[]string{"k6", "run", "--execution-segment", "2/3", "s.js"}, "0:2/3", ""},
		{[]string{"k6", "run", "--execution-segment", "0:1/3", "--execution-segment", "1/3:1", "s.js"}, "1/3:1", ""},
		{[]string{"k6", "run", "s.js", "--", "--execution-segment", "1/2:1"}, "", ""},
		{[]string{"k6", "run", "--execution-segment", "1:0", "s.js"}, "", "execution segment \"1:0\""},
	} {
		seg, err := commandLineSegment(c.args)
		if c.err != "" {
			require.Error(t, err, c.args)
			assert.Contains(t, err.Error(), c.err)
			continue
		}
		require.NoError(t, err, c.args)
		assert.Equal(t, c.want, seg.name, c.args)
	}
}

// The slices of a sequence of segments cover every user of a file once.
func TestSegmentSlicesCoverTheFile(t *testing.T) {
	t.Parallel()
	for _, total := range []int{1, 2, 3, 7, 10, 1000, 1001} {
		for _, seq := range [][]string{{"0:1/2", "1/2:1"}, {"0:1/3", "1/3:2/3", "2/3:1"}, {"0:1/10", "1/10:1"}} {
			next := 0
			for _, s := range seq {
				es, err := lib.NewExecutionSegmentFromString(s)
				require.NoError(t, err)
				seg, err := segmentOf(es)
				require.NoError(t, err)
				lo, hi := seg.bounds(total)
				assert.Equal(t, next, lo, "%d users, %s", total, s)
				next = hi
			}
			assert.Equal(t, total, next, "%d users, %v", total, seq)
		}
	}
}

func usersFile(n int) string {
	var b strings.Builder
	b.WriteString("email,password,twoFactor,id\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "u%d@x,pw-%d,none,%d\n", i, i, i)
	}
	return b.String()
}

func TestLoadUsersKeepsTheSegment(t *testing.T) {
	t.Parallel()
	data := usersFile(10)
	opens := 0
	open := func() (io.ReadCloser, error) {
		opens++
		return io.NopCloser(strings.NewReader(data)), nil
	}
	es, err := lib.NewExecutionSegmentFromString("1/3:2/3")
	require.NoError(t, err)
	seg, err := segmentOf(es)
	require.NoError(t, err)
	set, err := loadUsers("/u.csv", seg, open)
	require.NoError(t, err)
	assert.Equal(t, 2, opens, "counted, then kept")
	require.Equal(t, 3, set.Len(), "users 4 to 6 of 10")
	assert.EqualValues(t, 4, set.At(0).ID)
	assert.EqualValues(t, 6, set.At(2).ID)
	assert.Equal(t, 10, set.total)

	// A segment too small for a user is an error that says so.
	es, err = lib.NewExecutionSegmentFromString("0:1/20")
	require.NoError(t, err)
	seg, err = segmentOf(es)
	require.NoError(t, err)
	_, err = loadUsers("/u.csv", seg, open)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "leave none for execution segment 0:1/20")

	// An error in another instance's slice is still found.
	bad := data + "x@x,pw,voice,11\n"
	_, err = loadUsers("/u.csv", seg, func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(bad)), nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 12")
}

// openUsers slices by the segment on k6's command line; a picker built in
// VU code refuses a set sliced for another segment than the test runs.
func TestOpenUsersSegmentChecked(t *testing.T) { //nolint:paralleltest // sets commandLine
	fs := fsext.NewMemMapFs()
	require.NoError(t, fsext.WriteFile(fs, "/data/users.csv", []byte(usersFile(10)), 0o644))
	saved := commandLine
	t.Cleanup(func() { commandLine = saved })
	commandLine = []string{"k6", "run", "--execution-segment", "1/2:1", "s.js"}

	v := newTestVU(t, New())
	v.rt.VU.InitEnvField.FileSystems = map[string]fsext.Fs{"file": fs}
	v.rt.VU.InitEnvField.CWD = &url.URL{Path: "/data/"}
	v.run(`var users = authflow.openUsers('users.csv');`)
	assert.EqualValues(t, 5, v.run(`users.length`).Export())
	assert.EqualValues(t, 6, v.run(`users[0].id`).Export())

	v.toVU()
	err := v.runErr(`new authflow.UserPicker(users)`)
	require.Error(t, err, "the test runs no segment")
	assert.Contains(t, err.Error(), "kept the users of execution segment 1/2:1, but this instance runs segment none")
	es, err := lib.NewExecutionSegmentFromString("1/2:1")
	require.NoError(t, err)
	v.state.Options.ExecutionSegment = es
	assert.EqualValues(t, 5, v.run(`new authflow.UserPicker(users).size`).Export())
}

func TestPacksFiles(t *testing.T) {
	t.Parallel()
	for args, want := range map[string]bool{
		"k6 run s.js":                  false,
		"k6 run --out json=x s.js":     false,
		"k6 archive s.js":              true,
		"k6 cloud run s.js":            true,
		"k6 run --out cloud s.js":      true,
		"k6 inspect s.js":              true,
		"k6 run cloud.js -e X=archive": false,
	} {
		assert.Equal(t, want, packsFiles(strings.Fields(args)), args)
	}
}

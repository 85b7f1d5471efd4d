package extension

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/grafana/sobek"

	"go.k6.io/k6/v2/js/common"
	"go.k6.io/k6/v2/lib/fsext"
)

// User is one test account: what `authflow serve --users N --users-file F`
// writes and what the test hooks' POST /clients answers.
type User struct {
	ID         int64    `json:"id"`
	Email      string   `json:"email"`
	Password   string   `json:"password"`
	TOTPSecret string   `json:"totpSecret,omitempty"`
	Phone      string   `json:"phone,omitempty"`
	TwoFactor  []string `json:"twoFactor,omitempty"`
	Username   string   `json:"username,omitempty"`
	ExternalID string   `json:"externalId,omitempty"`
}

// parseMethods reads a twoFactor value: "none" or "" (no 2FA), "google",
// "sms", "both", or methods joined by + ; | , or a space ("google+sms").
func parseMethods[T ~string | ~[]byte](s T) (uint8, error) {
	isSep := func(c byte) bool { return c == '+' || c == ';' || c == '|' || c == ',' || c == ' ' }
	tf := tfGiven
	for i := 0; i < len(s); {
		if isSep(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && !isSep(s[j]) {
			j++
		}
		switch string(s[i:j]) {
		case "none":
		case "google":
			tf |= tfGoogle
		case "sms":
			tf |= tfSMS
		case "both":
			tf |= tfGoogle | tfSMS
		default:
			return tf, fmt.Errorf("twoFactor has %q; expected none, google, sms, google+sms or both", clip([]byte(s[i:j])))
		}
		i = j
	}
	return tf, nil
}

// checkRaw checks a user read from a file.
func checkRaw(u *rawUser) error {
	if len(u.fields[fieldEmail]) == 0 {
		return errors.New("no email")
	}
	return nil
}

func checkUser(u User) error {
	if u.Email == "" {
		return errors.New("no email")
	}
	for _, m := range u.TwoFactor {
		if m != "google" && m != "sms" {
			return fmt.Errorf("twoFactor has %q; expected google or sms", m)
		}
	}
	return nil
}

// decodeUsers reads the user file that open opens, JSON or CSV by its
// first byte, handing each user to add.
func decodeUsers(open func() (io.ReadCloser, error), add func(n int, u *rawUser) error) error {
	f, err := open()
	if err != nil {
		return err
	}
	defer f.Close() //nolint:errcheck // read only
	br := bufio.NewReaderSize(f, 1<<16)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	for {
		c, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("the file is empty")
			}
			return fmt.Errorf("reading: %w", err)
		}
		switch c[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.Discard(1)
			continue
		case '[', '{':
			return decodeUsersJSON(br, add)
		}
		return decodeUsersCSV(br, add)
	}
}

// loadUsers reads a user file into a packed set, keeping only the users of
// execution segment seg: the first floor(from·N) to floor(to·N) of the N
// users of the file. A split test reads the file twice (first to count),
// and holds only its own slice.
func loadUsers(path string, seg execSegment, open func() (io.ReadCloser, error)) (*userSet, error) {
	total := -1
	if seg.split() {
		n := 0
		if err := decodeUsers(open, func(int, *rawUser) error { n++; return nil }); err != nil {
			return nil, err
		}
		total = n
	}
	lo, hi := seg.bounds(total)
	b := newSetBuilder(path)
	i := 0
	err := decodeUsers(open, func(_ int, u *rawUser) error {
		defer func() { i++ }()
		if i < lo || i >= hi {
			return nil
		}
		return b.add(u)
	})
	if err != nil {
		return nil, err
	}
	set := b.finish()
	set.first, set.total, set.segment = lo, i, seg.name
	if i == 0 {
		return nil, errors.New("the file holds no users")
	}
	if set.n == 0 {
		return nil, fmt.Errorf("the file's %d users leave none for execution segment %s", i, seg.name)
	}
	return set, nil
}

// parseUsers reads a whole user file held in memory.
func parseUsers(data []byte) ([]User, error) {
	set, err := loadUsers("", execSegment{}, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		return nil, err
	}
	users := make([]User, set.Len())
	for i := range users {
		users[i] = set.At(i)
	}
	return users, nil
}

// userFiles loads each user file once per test run and execution segment,
// keyed by its absolute path.
type userFiles struct {
	mu    sync.Mutex
	files map[string]*userFileEntry
}

type userFileEntry struct {
	once sync.Once
	set  *userSet
	err  error
}

func (f *userFiles) load(path string, seg execSegment, open func() (io.ReadCloser, error)) (*userSet, error) {
	key := path + "\x00" + seg.name
	f.mu.Lock()
	if f.files == nil {
		f.files = map[string]*userFileEntry{}
	}
	e, ok := f.files[key]
	if !ok {
		e = &userFileEntry{}
		f.files[key] = e
	}
	f.mu.Unlock()
	e.once.Do(func() {
		if e.set, e.err = loadUsers(path, seg, open); e.err != nil {
			e.err = fmt.Errorf("openUsers(%q): %w", path, e.err)
		}
	})
	return e.set, e.err
}

// openUsers implements openUsers(path): in the init context only, it reads
// the file through k6's init file system (so that `k6 archive` packs it and
// relative paths resolve from the script, as with open()), once per test
// run, and returns a read-only array of users shared by every VU. A test
// split by execution segment keeps only its own segment's slice.
func (mi *ModuleInstance) openUsers(path string) *sobek.Object {
	rt := mi.vu.Runtime()
	initEnv := mi.vu.InitEnv()
	if initEnv == nil || mi.vu.State() != nil {
		common.Throw(rt, errors.New("openUsers() must be called in the init context (the script's top level), like open()"))
	}
	if path == "" {
		common.Throw(rt, errors.New("openUsers() needs a file path"))
	}
	seg, err := commandLineSegment(commandLine)
	if err != nil {
		common.Throw(rt, fmt.Errorf("openUsers(%q): %w", path, err))
	}
	abs := fsext.Abs(initEnv.CWD.Path, strings.TrimPrefix(path, "file://"))
	set, err := mi.root.userFiles.load(abs, seg, func() (io.ReadCloser, error) {
		return openUserFile(initEnv.FileSystems["file"], abs)
	})
	if err != nil {
		common.Throw(rt, err)
	}
	return rt.NewDynamicArray(&usersArray{rt: rt, set: set})
}

// openUserFile opens a user file. k6 reads a script's files through a
// cache that keeps a copy of each in memory for `k6 archive` and `k6
// cloud` to pack (for a 211 MB file it held 700 MB more at its peak). Under
// `k6 run script.js` nothing packs it, so the file is read from disk as it
// streams; otherwise (an archive is made, or the test runs from one)
// through k6's file system.
func openUserFile(fs fsext.Fs, abs string) (io.ReadCloser, error) {
	if fs == nil {
		return nil, errors.New("no file system available")
	}
	if _, cached := fs.(fsext.CacheLayerGetter); cached && !packsFiles(commandLine) {
		f, err := os.Open(abs) //nolint:gosec // the script's own file, as open() would read it
		if err != nil {
			return nil, fmt.Errorf("opening: %w", err)
		}
		return f, nil
	}
	f, err := fs.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("opening: %w", err)
	}
	return f, nil
}

// packsFiles reports whether k6's command line may pack the script's files
// into an archive (k6 archive, k6 cloud, k6 inspect, or a cloud output):
// then a user file is read through k6's cache, as open() reads it.
func packsFiles(args []string) bool {
	for _, a := range args[1:] {
		switch a {
		case "archive", "cloud", "inspect":
			return true
		}
	}
	return false
}

// usersArray is the script's read-only view of a userSet: users[i] is a
// fresh user object each time (see userObject), so a script may change its
// copy without touching the one other VUs see.
type usersArray struct {
	rt  *sobek.Runtime
	set *userSet
}

var _ sobek.DynamicArray = (*usersArray)(nil)

func (a *usersArray) Len() int { return a.set.Len() }
func (a *usersArray) Get(i int) sobek.Value {
	if i < 0 || i >= a.set.Len() {
		return sobek.Undefined()
	}
	return newUserObject(a.rt, a.set.At(i))
}
func (a *usersArray) Set(int, sobek.Value) bool { return false }
func (a *usersArray) SetLen(int) bool           { return false }

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// userArg reads a user object from the script. Unknown keys are allowed (a
// user is data, not options); email is required.
func userArg(rt *sobek.Runtime, v sobek.Value, what string) (User, error) {
	if uo, ok := wrapped[*userObject](v); ok {
		if u, unchanged := unchangedUser(uo); unchanged {
			return u, nil
		}
	}
	obj, ok := v.(*sobek.Object)
	if common.IsNullish(v) || !ok || isArray(obj) || isFunction(obj) {
		return User{}, fmt.Errorf("%s must be a user object {email, password, totpSecret?, phone?}, not %s", what, describe(v))
	}
	str := func(k string) (string, error) {
		x := obj.Get(k)
		if common.IsNullish(x) {
			return "", nil
		}
		s, ok := stringOf(x)
		if !ok {
			return "", fmt.Errorf("%s.%s must be a string, not %s", what, k, describe(x))
		}
		return s, nil
	}
	var u User
	var err error
	for _, f := range []struct {
		k string
		p *string
	}{
		{"email", &u.Email}, {"password", &u.Password}, {"totpSecret", &u.TOTPSecret},
		{"phone", &u.Phone}, {"username", &u.Username}, {"externalId", &u.ExternalID},
	} {
		if *f.p, err = str(f.k); err != nil {
			return u, err
		}
	}
	if id := obj.Get("id"); !common.IsNullish(id) {
		n, err := toInt(id)
		if err != nil {
			return u, fmt.Errorf("%s.id %w", what, err)
		}
		u.ID = n
	}
	if tf := obj.Get("twoFactor"); !common.IsNullish(tf) {
		var list []string
		if err := decodeValue(rt, tf, reflect.ValueOf(&list).Elem(), what+".twoFactor"); err != nil {
			return u, err
		}
		u.TwoFactor = list
	}
	if err := checkUser(u); err != nil {
		return u, fmt.Errorf("%s: %w", what, err)
	}
	return u, nil
}

// usersArg reads a list of users: openUsers' array (shared, by identity)
// or a plain array of user objects.
func usersArg(rt *sobek.Runtime, v sobek.Value, what string) (*userSet, error) {
	if common.IsNullish(v) {
		return nil, fmt.Errorf("%s: no users given", what)
	}
	if a, ok := wrapped[*usersArray](v); ok {
		return a.set, nil
	}
	obj, ok := v.(*sobek.Object)
	if !ok || !isArray(obj) {
		return nil, fmt.Errorf("%s: users must be an array (openUsers() or user objects), not %s", what, describe(v))
	}
	n := int(obj.Get("length").ToInteger())
	if n == 0 {
		return nil, fmt.Errorf("%s: the users array is empty", what)
	}
	users := make([]User, n)
	for i := range n {
		u, err := userArg(rt, obj.Get(strconv.Itoa(i)), fmt.Sprintf("users[%d]", i))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		users[i] = u
	}
	set, err := packUsers("", users)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return set, nil
}

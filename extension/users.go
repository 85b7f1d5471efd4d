package extension

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// userJSON reads the JSON form, where totpSecret and phone may be null and
// twoFactor may be an array or one string.
type userJSON struct {
	ID         json.Number     `json:"id"`
	Email      string          `json:"email"`
	Password   string          `json:"password"`
	TOTPSecret *string         `json:"totpSecret"`
	Phone      *string         `json:"phone"`
	TwoFactor  json.RawMessage `json:"twoFactor"`
	Username   string          `json:"username"`
	ExternalID string          `json:"externalId"`
}

func (u userJSON) user() (User, error) {
	out := User{Email: u.Email, Password: u.Password, Username: u.Username, ExternalID: u.ExternalID}
	if u.ID != "" {
		id, err := u.ID.Int64()
		if err != nil {
			return out, errors.New("id is not an integer")
		}
		out.ID = id
	}
	if u.TOTPSecret != nil {
		out.TOTPSecret = *u.TOTPSecret
	}
	if u.Phone != nil {
		out.Phone = *u.Phone
	}
	if len(u.TwoFactor) > 0 && string(u.TwoFactor) != "null" {
		var list []string
		if err := json.Unmarshal(u.TwoFactor, &list); err != nil {
			var one string
			if json.Unmarshal(u.TwoFactor, &one) != nil {
				return out, errors.New("twoFactor must be an array of strings")
			}
			list = splitTwoFactor(one)
		}
		out.TwoFactor = list
	}
	return out, nil
}

// splitTwoFactor reads "google;sms", "google|sms", "google sms" or
// "google,sms".
func splitTwoFactor(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' || r == ',' || r == ' ' })
	if len(f) == 0 {
		return nil
	}
	return f
}

// parseUsers reads a user file: a JSON array of users (or an object with a
// "users" array), or CSV with a header row naming the columns email,
// password, totpSecret, phone, twoFactor, id (any order, others ignored).
// Errors name the record, never a value.
func parseUsers(data []byte) ([]User, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) == 0 {
		return nil, errors.New("the file is empty")
	}
	var users []User
	var err error
	switch trimmed[0] {
	case '[', '{':
		users, err = parseUsersJSON(trimmed)
	default:
		users, err = parseUsersCSV(trimmed)
	}
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, errors.New("the file holds no users")
	}
	return users, nil
}

func parseUsersJSON(data []byte) ([]User, error) {
	var list []userJSON
	if data[0] == '{' {
		var wrapped struct {
			Users []userJSON `json:"users"`
		}
		if err := json.Unmarshal(data, &wrapped); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", jsonErr(err))
		}
		list = wrapped.Users
	} else if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("not a JSON array of users: %w", jsonErr(err))
	}
	users := make([]User, 0, len(list))
	for i, uj := range list {
		u, err := uj.user()
		if err == nil {
			err = checkUser(u)
		}
		if err != nil {
			return nil, fmt.Errorf("user %d: %w", i+1, err)
		}
		users = append(users, u)
	}
	return users, nil
}

// jsonErr keeps only the kind and the offset of a JSON error: the text of a
// type error may quote a value.
func jsonErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("syntax error at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %q has the wrong type", te.Field)
	}
	return errors.New("malformed")
}

func parseUsersCSV(data []byte) ([]User, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, errors.New("CSV: cannot read the header row")
	}
	col := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.TrimSpace(h)))
		col[key] = i
	}
	if _, ok := col["email"]; !ok {
		return nil, errors.New("CSV: the header row has no email column (expected email,password,totpSecret,phone,twoFactor,id)")
	}
	var users []User
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV line %d: malformed", line)
		}
		get := func(names ...string) string {
			for _, n := range names {
				if i, ok := col[n]; ok && i < len(rec) {
					return strings.TrimSpace(rec[i])
				}
			}
			return ""
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		u := User{
			Email:      get("email"),
			Password:   get("password"),
			TOTPSecret: get("totpsecret", "secret"),
			Phone:      get("phone"),
			TwoFactor:  splitTwoFactor(get("twofactor")),
			Username:   get("username"),
			ExternalID: get("externalid"),
		}
		if strings.EqualFold(u.TOTPSecret, "null") {
			u.TOTPSecret = ""
		}
		if strings.EqualFold(u.Phone, "null") {
			u.Phone = ""
		}
		if id := get("id"); id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("CSV line %d: id is not an integer", line)
			}
			u.ID = n
		}
		if err := checkUser(u); err != nil {
			return nil, fmt.Errorf("CSV line %d: %w", line, err)
		}
		users = append(users, u)
	}
	return users, nil
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

// userFiles loads each user file once, keyed by its absolute path.
type userFiles struct {
	mu    sync.Mutex
	files map[string]*userFileEntry
}

type userFileEntry struct {
	once sync.Once
	set  *userSet
	err  error
}

func (f *userFiles) load(path string, read func() ([]byte, error)) (*userSet, error) {
	f.mu.Lock()
	if f.files == nil {
		f.files = map[string]*userFileEntry{}
	}
	e, ok := f.files[path]
	if !ok {
		e = &userFileEntry{}
		f.files[path] = e
	}
	f.mu.Unlock()
	e.once.Do(func() {
		data, err := read()
		if err != nil {
			e.err = err
			return
		}
		users, err := parseUsers(data)
		if err != nil {
			e.err = fmt.Errorf("openUsers(%q): %w", path, err)
			return
		}
		if e.set, err = packUsers(path, users); err != nil {
			e.err = fmt.Errorf("openUsers(%q): %w", path, err)
		}
	})
	return e.set, e.err
}

// openUsers implements openUsers(path): in the init context only, it reads
// the file through k6's init file system (so that `k6 archive` packs it and
// relative paths resolve from the script, as with open()), once per test
// run, and returns a read-only array of users shared by every VU.
func (mi *ModuleInstance) openUsers(path string) *sobek.Object {
	rt := mi.vu.Runtime()
	initEnv := mi.vu.InitEnv()
	if initEnv == nil || mi.vu.State() != nil {
		common.Throw(rt, errors.New("openUsers() must be called in the init context (the script's top level), like open()"))
	}
	if path == "" {
		common.Throw(rt, errors.New("openUsers() needs a file path"))
	}
	abs := fsext.Abs(initEnv.CWD.Path, strings.TrimPrefix(path, "file://"))
	set, err := mi.root.userFiles.load(abs, func() ([]byte, error) {
		fs, ok := initEnv.FileSystems["file"]
		if !ok {
			return nil, errors.New("openUsers(): no file system available")
		}
		data, err := fsext.ReadFile(fs, abs)
		if err != nil {
			return nil, fmt.Errorf("openUsers(%q): %w", path, err)
		}
		return data, nil
	})
	if err != nil {
		common.Throw(rt, err)
	}
	return rt.NewDynamicArray(&usersArray{rt: rt, set: set})
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
		if u, unchanged := uo.user(); unchanged {
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

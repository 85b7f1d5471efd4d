package capacity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// UserSlices hands every run of a search its own part of a users file (a
// JSON array, or CSV with a header line, as `authflow serve --users-file`
// writes them), taking the users in turn. Back-to-back runs inside one
// 30-second TOTP step then never sign in the same user twice: the server
// would refuse the replayed code, and the failures would be counted against
// it. It also keeps the file each run loads no larger than the run needs.
type UserSlices struct {
	csv    bool
	header []byte
	users  [][]byte // JSON values or CSV lines
	next   int
	dir    string
	n      int
}

// ErrUsersFile reports a users file the search cannot split.
var ErrUsersFile = errors.New("capacity: users file")

// NewUserSlices reads path; slices are written into dir.
func NewUserSlices(path, dir string) (*UserSlices, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUsersFile, err)
	}
	u := &UserSlices{dir: dir, csv: strings.EqualFold(filepath.Ext(path), ".csv")}
	if u.csv {
		lines := bytes.Split(bytes.TrimRight(raw, "\r\n"), []byte("\n"))
		u.header, u.users = lines[0], lines[1:]
	} else {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("%w %s: want a JSON array of users: %w", ErrUsersFile, filepath.Base(path), err)
		}
		for _, v := range list {
			u.users = append(u.users, v)
		}
	}
	if len(u.users) == 0 {
		return nil, fmt.Errorf("%w %s: no users", ErrUsersFile, filepath.Base(path))
	}
	return u, nil
}

// Len is the number of users in the file.
func (u *UserSlices) Len() int { return len(u.users) }

// Next writes the next want users (all of them when the file has fewer) to
// a new file and returns its path.
func (u *UserSlices) Next(want int) (string, error) {
	want = max(1, min(want, len(u.users)))
	var b bytes.Buffer
	if u.csv {
		b.Write(u.header)
		b.WriteByte('\n')
	} else {
		b.WriteByte('[')
	}
	for i := range want {
		line := u.users[(u.next+i)%len(u.users)]
		switch {
		case u.csv:
			b.Write(line)
			b.WriteByte('\n')
		case i > 0:
			b.WriteByte(',')
			fallthrough
		default:
			b.Write(line)
		}
	}
	if !u.csv {
		b.WriteString("]\n")
	}
	u.next = (u.next + want) % len(u.users)
	u.n++
	ext := ".json"
	if u.csv {
		ext = ".csv"
	}
	path := filepath.Join(u.dir, fmt.Sprintf("users-run%d%s", u.n, ext))
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("%w: writing a run's users: %w", ErrUsersFile, err)
	}
	return path, nil
}

// UsersFor is how many users a run at rate for d seconds is handed: perFlow
// users per flow it may start.
func UsersFor(rate, seconds, perFlow float64) int {
	return int(math.Ceil(rate * seconds * perFlow))
}

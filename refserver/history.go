package refserver

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/authflow/authflow/b2core"
)

// History paging: limit defaults to DefaultLimit and may be 1..MaxLimit;
// offset is 0 or more; sort_order defaults to desc (newest first).
const (
	DefaultLimit = 10
	MaxLimit     = 100
	maxOffset    = 1 << 30
)

// tfaChange is one 2FA change record. Times are kept to the second, as
// they are shown, so that a filter on a shown time finds its record.
type tfaChange struct {
	id       int64
	acct     *account
	provider string
	enabled  bool
	time     time.Time
}

// pwChange is one password change record.
type pwChange struct {
	id   int64
	acct *account
	kind string
	time time.Time
}

// historyStore numbers records per server (ids are unique across clients)
// and finds them by id; each account keeps its own list under its mu.
type historyStore struct {
	tfaSeq, pwSeq atomic.Int64
	tfaByID       *shardMap[int64, *tfaChange]
	pwByID        *shardMap[int64, *pwChange]
}

func newHistoryStore() *historyStore {
	return &historyStore{
		tfaByID: newShardMap[int64, *tfaChange](hashInt),
		pwByID:  newShardMap[int64, *pwChange](hashInt),
	}
}

// addTFALocked records a 2FA change; the caller holds acct.mu.
func (h *historyStore) addTFALocked(acct *account, provider string, enabled bool, now time.Time) {
	c := &tfaChange{id: h.tfaSeq.Add(1), acct: acct, provider: provider, enabled: enabled, time: now.Truncate(time.Second)}
	acct.tfaChanges = append(acct.tfaChanges, c)
	h.tfaByID.put(c.id, c)
}

func (h *historyStore) addPassword(acct *account, kind string, now time.Time) {
	c := &pwChange{id: h.pwSeq.Add(1), acct: acct, kind: kind, time: now.Truncate(time.Second)}
	acct.mu.Lock()
	acct.pwChanges = append(acct.pwChanges, c)
	acct.mu.Unlock()
	h.pwByID.put(c.id, c)
}

func (c *tfaChange) wire(fmtTime func(time.Time) string) b2core.TFAChange {
	t := fmtTime(c.time)
	return b2core.TFAChange{ID: c.id, Provider: c.provider, IsEnabled: c.enabled, Time: &t}
}

func (c *pwChange) wire(fmtTime func(time.Time) string) b2core.PasswordChange {
	return b2core.PasswordChange{ID: c.id, Type: c.kind, CreateTime: fmtTime(c.time)}
}

// listQuery is the paging, sorting and filters of a history call.
type listQuery struct {
	limit, offset int
	asc           bool
	isEnabled     *bool
	from, to      time.Time // inclusive; zero: none
	provider      string
}

func badQuery(param, reason string) error {
	return fieldErr(http.StatusBadRequest, param, reason)
}

// parseListQuery reads limit, offset, sort_by (which must be sortField when
// given), sort_order and, with filters, the 2FA history filters.
func parseListQuery(q url.Values, sortField string, filters bool) (listQuery, error) {
	lq := listQuery{limit: DefaultLimit}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return lq, badQuery("limit", "must be an integer from 1 to "+strconv.Itoa(MaxLimit))
		}
		lq.limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxOffset {
			return lq, badQuery("offset", "must be a non-negative integer")
		}
		lq.offset = n
	}
	if v := q.Get("sort_by"); v != "" && v != sortField {
		return lq, badQuery("sort_by", "must be "+sortField)
	}
	switch strings.ToLower(q.Get("sort_order")) {
	case "", "desc":
	case "asc":
		lq.asc = true
	default:
		return lq, badQuery("sort_order", "must be asc or desc")
	}
	if !filters {
		return lq, nil
	}
	if v := q.Get("filter[isEnabled]"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return lq, badQuery("filter[isEnabled]", "must be true or false")
		}
		lq.isEnabled = &b
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"filter[timeFrom]", &lq.from}, {"filter[timeTo]", &lq.to}} {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		t, err := parseQueryTime(v)
		if err != nil {
			return lq, badQuery(f.name, "must be an RFC 3339 date and time, e.g. 2022-12-01T07:23:59+00:00")
		}
		*f.dst = t
	}
	switch v := q.Get("filter[provider]"); v {
	case "", b2core.ProviderGoogle, b2core.ProviderSMS:
		lq.provider = v
	default:
		return lq, badQuery("filter[provider]", "must be google or sms")
	}
	return lq, nil
}

// parseQueryTime parses an RFC 3339 time; a '+' of the offset sent
// unescaped arrives as a space and is put back.
func parseQueryTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil && strings.Count(v, " ") == 1 {
		t, err = time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "+", 1))
	}
	return t, err
}

// page sorts by time (then id), and pages items; total counts them all.
func page[T any](items []T, lq listQuery, key func(T) (time.Time, int64)) (int, []T) {
	slices.SortFunc(items, func(a, b T) int {
		ta, ia := key(a)
		tb, ib := key(b)
		c := ta.Compare(tb)
		if c == 0 {
			c = cmp.Compare(ia, ib)
		}
		if !lq.asc {
			c = -c
		}
		return c
	})
	total := len(items)
	if lq.offset >= total {
		return total, items[:0]
	}
	end := min(lq.offset+lq.limit, total)
	return total, items[lq.offset:end]
}

// listAnswer is the JSON of a list; the defect wrong-field-type makes total
// a string.
func (s *Server) listAnswer(total int, data any) any {
	if s.defects.wrongFieldType { // defect wrong-field-type
		return map[string]any{"total": strconv.Itoa(total), "data": data}
	}
	return struct {
		Total int `json:"total"`
		Data  any `json:"data"`
	}{total, data}
}

// GET 2fa/changes (Bearer) with filter[isEnabled|timeFrom|timeTo|provider],
// sort_by=time, sort_order, limit, offset.
func (s *Server) handleTFAChanges(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	lq, err := parseListQuery(r.URL.Query(), "time", true)
	if err != nil {
		return err
	}
	s.listDefaults(r.URL.Query(), &lq)
	acct := sess.acct
	acct.mu.Lock()
	items := make([]*tfaChange, 0, len(acct.tfaChanges))
	for _, c := range acct.tfaChanges {
		switch {
		case lq.isEnabled != nil && c.enabled != *lq.isEnabled,
			lq.provider != "" && c.provider != lq.provider,
			!lq.from.IsZero() && c.time.Before(lq.from),
			!lq.to.IsZero() && c.time.After(lq.to):
			continue
		}
		items = append(items, c)
	}
	acct.mu.Unlock()
	total, pg := page(items, lq, func(c *tfaChange) (time.Time, int64) { return c.time, c.id })
	data := make([]b2core.TFAChange, len(pg))
	for i, c := range pg {
		data[i] = c.wire(s.fmtTime)
	}
	writeJSON(w, http.StatusOK, s.listAnswer(total, data))
	return nil
}

// GET password/changes (Bearer) with sort_by=createTime, sort_order, limit,
// offset.
func (s *Server) handlePasswordChanges(w http.ResponseWriter, r *http.Request) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	lq, err := parseListQuery(r.URL.Query(), "createTime", false)
	if err != nil {
		return err
	}
	s.listDefaults(r.URL.Query(), &lq)
	acct := sess.acct
	acct.mu.Lock()
	items := slices.Clone(acct.pwChanges)
	acct.mu.Unlock()
	total, pg := page(items, lq, func(c *pwChange) (time.Time, int64) { return c.time, c.id })
	data := make([]b2core.PasswordChange, len(pg))
	for i, c := range pg {
		data[i] = c.wire(s.fmtTime)
	}
	writeJSON(w, http.StatusOK, s.listAnswer(total, data))
	return nil
}

var errNoRecord = errf(http.StatusNotFound, "no such change record")

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// GET 2fa/changes/{id}: another client's id is 404.
func (s *Server) handleTFAChange(w http.ResponseWriter, r *http.Request) error {
	return serveRecord(s, w, r, s.history.tfaByID, func(c *tfaChange) (*account, any) { return c.acct, c.wire(s.fmtTime) })
}

// GET password/changes/{id}: another client's id is 404.
func (s *Server) handlePasswordChangeOne(w http.ResponseWriter, r *http.Request) error {
	return serveRecord(s, w, r, s.history.pwByID, func(c *pwChange) (*account, any) { return c.acct, c.wire(s.fmtTime) })
}

// serveRecord answers one history record by the {id} of the path, to its
// owner only: to anybody else it does not exist (404, not 403), so ids
// reveal nothing.
func serveRecord[R any](s *Server, w http.ResponseWriter, r *http.Request, byID *shardMap[int64, R], view func(R) (*account, any)) error {
	sess, err := s.authenticate(r)
	if err != nil {
		return err
	}
	id, ok := pathID(r)
	if !ok {
		return errNoRecord
	}
	rec, ok := byID.get(id)
	if !ok {
		return errNoRecord
	}
	owner, body := view(rec)
	if owner != sess.acct && !s.defects.historyCrossClient { // defect history-cross-client
		return errNoRecord
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

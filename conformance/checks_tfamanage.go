package conformance

import (
	"net/http"
	"slices"
	"strings"

	"github.com/authflow/authflow/b2core"
)

// wantStatus checks GET 2fa and GET 2fa/{type} against the expected
// enabled methods.
func (t *T) wantStatus(s *sess, google, sms bool, when string) {
	x := t.authProbe(s.access)
	if !t.Expect(x.Status() == http.StatusOK, x, "GET 2fa %s: want 200", when) {
		return
	}
	want := map[string]bool{b2core.ProviderGoogle: google, b2core.ProviderSMS: sms}
	seen := map[string]bool{}
	for i := range jarr(x.J(), "data") {
		p := "data[" + itoa(int64(i)) + "]"
		name := strings.ToLower(jstr(x.J(), p+".name"))
		on, _ := jbool(x.J(), p+".isEnabled")
		if w, known := want[name]; known {
			seen[name] = true
			t.Expect(on == w, x, "GET 2fa %s: %s isEnabled %v, want %v", when, name, on, w)
		}
	}
	for name, w := range want {
		t.Expect(seen[name], x, "GET 2fa %s: %s is not listed", when, name)
		y := t.api("2fa "+name+" status", http.MethodGet, api+"/2fa/"+name, nil, withBearer(s.access))
		if t.Expect(y.Status() == http.StatusOK, y, "GET 2fa/%s %s: want 200", name, when) {
			on, ok := jbool(y.J(), "isEnabled")
			t.Expect(ok && on == w, y, "GET 2fa/%s %s: isEnabled %s, want %v", name, when, jraw(y.J(), "isEnabled"), w)
		}
	}
}

// wantTerminated checks the final answer of a 2FA wizard.
func (t *T) wantTerminated(x *X, what string) bool {
	if !t.Expect(x.Is2xx(), x, "%s: want a 2xx", what) {
		return false
	}
	done, _ := jbool(x.J(), "done")
	c, _ := jint(x.J(), "code")
	return t.Expect(done && c == 202, x, "%s: want code 202 and done true, got code %s, done %s", what, jraw(x.J(), "code"), jraw(x.J(), "done"))
}

// asks2FA reports whether a sign-in with the password now stops at 2FA.
func (t *T) asks2FA(a *account) (bool, *X) {
	x := t.signinFresh(a.Email, a.Password)
	return x.Is2xx() && workflow(x) == b2core.Workflow2FA, x
}

func init() {
	statusSrc := src(doc001, "Check 2FA status; Get 2FA method details")
	register(
		&Check{
			ID: "MGMT-001", Title: "2FA status calls reflect the account's methods", Group: Group2FAManage, Level: MUST,
			Source: statusSrc,
			Run: func(t *T) {
				t.wantStatus(t.login(t.newAccount()), false, false, "(no 2FA)")
				t.wantStatus(t.login(t.newAccount(b2core.ProviderGoogle)), true, false, "(Google)")
				t.wantStatus(t.login(t.newAccount(b2core.ProviderSMS)), false, true, "(SMS)")
			},
		},
		&Check{
			ID: "MGMT-002", Title: "Google 2FA can be enabled through the wizard; status and sign-in follow", Group: Group2FAManage, Level: MUST,
			Source: src(doc001, "Initialize a wizard for enabling 2FA; Enable 2FA with Google Authenticator"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				x := t.api("2fa google enable wizard", http.MethodGet, api+"/2fa/google/enable/wizard", nil, withBearer(s.access))
				if !t.wantWizard(x, "GET 2fa/google/enable/wizard", 200, false, b2core.Workflow2FAGoogle, "") {
					return
				}
				uuid, key := jstr(x.J(), "uuid"), jstr(x.J(), "data.key")
				seq, err := newTOTPSeq(key)
				if !t.Expect(err == nil, x, "the wizard's data.key is not a base32 TOTP secret") {
					return
				}
				t.secret(key)
				a.TOTPSecret, a.totp = key, seq
				y := t.api("2fa wizard (enable google)", http.MethodPost, api+"/2fa/wizard",
					map[string]any{"uuid": uuid, "action": "code", "code": t.nextTOTP(a), "key": key}, withBearer(s.access))
				if !t.wantTerminated(y, "POST 2fa/wizard (enable google)") {
					return
				}
				t.wantStatus(s, true, false, "after enabling Google")
				ok, z := t.asks2FA(a)
				if t.Expect(ok, z, "sign-in after enabling Google: want workflow 2fa") {
					t.login(a)
				}
			},
		},
		&Check{
			ID: "MGMT-003", Title: "SMS 2FA can be enabled through the wizard; status and sign-in follow", Group: Group2FAManage, Level: MUST,
			Source: src(doc001, "Enable 2FA with SMS (steps 1 and 2)"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				x := t.api("2fa sms enable wizard", http.MethodGet, api+"/2fa/sms/enable/wizard", nil, withBearer(s.access))
				if !t.wantWizard(x, "GET 2fa/sms/enable/wizard", 200, false, b2core.Workflow2FASMSPhoneCreate, "") {
					return
				}
				uuid := jstr(x.J(), "uuid")
				phone := randPhone()
				mark := t.markCodes(phone)
				y := t.api("2fa wizard (phone)", http.MethodPost, api+"/2fa/wizard", map[string]any{"uuid": uuid, "phone": phone}, withBearer(s.access))
				if !t.wantWizard(y, "POST 2fa/wizard (phone)", 200, false, "", uuid) {
					return
				}
				code := t.awaitCode(mark, "POST 2fa/wizard (phone)")
				z := t.api("2fa wizard (confirm phone)", http.MethodPost, api+"/2fa/wizard", map[string]any{"uuid": uuid, "action": "code", "code": code}, withBearer(s.access))
				if !t.wantTerminated(z, "POST 2fa/wizard (confirm phone)") {
					return
				}
				a.Phone = phone
				t.wantStatus(s, false, true, "after enabling SMS")
				ok, w := t.asks2FA(a)
				if t.Expect(ok, w, "sign-in after enabling SMS: want workflow 2fa") {
					t.loginWith(a, loginOpts{provider: b2core.ProviderSMS})
				}
			},
		},
		&Check{
			ID: "MGMT-004", Title: "Google 2FA can be disabled through the wizard; status and sign-in follow", Group: Group2FAManage, Level: MUST,
			Source: src(doc001, "Initialize a wizard for disabling 2FA; Disable 2FA"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderGoogle)
				s := t.login(a)
				x := t.api("2fa google disable wizard", http.MethodGet, api+"/2fa/google/disable/wizard", nil, withBearer(s.access))
				// The document's example shows done true here: done is not checked.
				uuid := jstr(x.J(), "uuid")
				if !t.Expect(x.Is2xx() && uuid != "", x, "GET 2fa/google/disable/wizard: want a 2xx with a uuid") {
					return
				}
				y := t.api("2fa wizard (disable google)", http.MethodPost, api+"/2fa/wizard",
					map[string]any{"uuid": uuid, "action": "code", "code": t.nextTOTP(a)}, withBearer(s.access))
				if !t.wantTerminated(y, "POST 2fa/wizard (disable google)") {
					return
				}
				t.wantStatus(s, false, false, "after disabling Google")
				z := t.signinFresh(a.Email, a.Password)
				t.Expect(z.Is2xx() && tokensOf(z.J()) != nil, z, "sign-in after disabling Google: want tokens at once")
			},
		},
		&Check{
			ID: "MGMT-005", Title: "SMS 2FA can be disabled through the wizard; status and sign-in follow", Group: Group2FAManage, Level: MUST,
			Source: src(doc001, "Initialize a wizard for disabling 2FA; Disable 2FA"),
			Run: func(t *T) {
				a := t.newAccount(b2core.ProviderSMS)
				s := t.login(a)
				mark := t.markCodes(a.Phone)
				x := t.api("2fa sms disable wizard", http.MethodGet, api+"/2fa/sms/disable/wizard", nil, withBearer(s.access))
				uuid := jstr(x.J(), "uuid")
				if !t.Expect(x.Is2xx() && uuid != "", x, "GET 2fa/sms/disable/wizard: want a 2xx with a uuid") {
					return
				}
				code := t.awaitCode(mark, "GET 2fa/sms/disable/wizard")
				y := t.api("2fa wizard (disable sms)", http.MethodPost, api+"/2fa/wizard",
					map[string]any{"uuid": uuid, "action": "code", "code": code}, withBearer(s.access))
				if !t.wantTerminated(y, "POST 2fa/wizard (disable sms)") {
					return
				}
				t.wantStatus(s, false, false, "after disabling SMS")
				z := t.signinFresh(a.Email, a.Password)
				t.Expect(z.Is2xx() && tokensOf(z.J()) != nil, z, "sign-in after disabling SMS: want tokens at once")
			},
		},
		&Check{
			ID: "MGMT-006", Title: "Enabling or disabling 2FA with a wrong code is rejected and changes nothing", Group: Group2FAManage, Level: MUST,
			Source: src(doc001, "Enable 2FA with Google Authenticator; Disable 2FA"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				x := t.api("2fa google enable wizard", http.MethodGet, api+"/2fa/google/enable/wizard", nil, withBearer(s.access))
				uuid, key := jstr(x.J(), "uuid"), jstr(x.J(), "data.key")
				kb, err := decodeBase32Secret(key)
				if !x.Is2xx() || uuid == "" || err != nil {
					t.Errorf("setup: GET 2fa/google/enable/wizard failed (%s); see MGMT-002", x.StatusText())
				}
				t.secret(key)
				y := t.api("2fa wizard (enable google, wrong code)", http.MethodPost, api+"/2fa/wizard",
					map[string]any{"uuid": uuid, "action": "code", "code": wrongTOTP(kb, t.r.now()), "key": key}, withBearer(s.access))
				t.Expect(y.Is4xx(), y, "enabling Google with a wrong code: want a 4xx")
				g := t.newAccount(b2core.ProviderGoogle)
				gs := t.login(g)
				z := t.api("2fa google disable wizard", http.MethodGet, api+"/2fa/google/disable/wizard", nil, withBearer(gs.access))
				if !z.Is2xx() || jstr(z.J(), "uuid") == "" {
					t.Errorf("setup: GET 2fa/google/disable/wizard failed (%s); see MGMT-004", z.StatusText())
				}
				w := t.api("2fa wizard (disable google, wrong code)", http.MethodPost, api+"/2fa/wizard",
					map[string]any{"uuid": jstr(z.J(), "uuid"), "action": "code", "code": wrongTOTP(g.totp.key, t.r.now())}, withBearer(gs.access))
				t.Expect(w.Is4xx(), w, "disabling Google with a wrong code: want a 4xx")
				t.wantStatus(s, false, false, "after the refused enable")
				t.wantStatus(gs, true, false, "after the refused disable")
			},
		},
		&Check{
			ID: "MGMT-007", Title: "The 2FA history records each change; filters, sort and paging work", Group: Group2FAManage, Level: MUST,
			Source: src(doc001, "Get 2FA change history"),
			Run: func(t *T) {
				a := t.newAccount()
				s := t.login(a)
				before, _ := t.listHistory("/2fa/changes", s, map[string]string{"limit": "100"})
				t.enableGoogle(a, s)
				t.spaced()
				t.enableSMS(a, s, randPhone())
				t.spaced()
				t.disable2FA(a, s, b2core.ProviderGoogle)
				type rec struct {
					provider string
					on       bool
				}
				want := []rec{{b2core.ProviderGoogle, true}, {b2core.ProviderSMS, true}, {b2core.ProviderGoogle, false}}
				q := func(extra map[string]string) ([]historyRecord, *X) {
					p := map[string]string{"limit": "100", "sort_by": "time", "sort_order": "asc"}
					for k, v := range extra {
						p[k] = v
					}
					list, x := t.listHistory("/2fa/changes", s, p)
					return newRecords(before, list), x
				}
				all, x := q(nil)
				var got []rec
				for _, r := range all {
					got = append(got, rec{r.kind, r.on})
				}
				if !t.Expect(slices.Equal(got, want), x, "sort_order=asc: want the records google on, sms on, google off; got %s", describe2FA(all)) {
					return
				}
				desc, y := q(map[string]string{"sort_order": "desc"})
				rev := recordIDs(all)
				slices.Reverse(rev)
				t.Expect(slices.Equal(recordIDs(desc), rev), y, "sort_order=desc: want ids %v, got %s", rev, describe2FA(desc))

				ids := recordIDs(all)
				filters := []struct {
					name string
					p    map[string]string
					want []int64 // exact, unless subset
					not  []int64 // must not be listed
				}{
					{"filter[isEnabled]=true", map[string]string{"filter[isEnabled]": "true"}, []int64{ids[0], ids[1]}, nil},
					{"filter[isEnabled]=false", map[string]string{"filter[isEnabled]": "false"}, []int64{ids[2]}, nil},
					{"filter[provider]=sms", map[string]string{"filter[provider]": "sms"}, []int64{ids[1]}, nil},
					{"filter[provider]=google", map[string]string{"filter[provider]": "google"}, []int64{ids[0], ids[2]}, nil},
					// The middle record's own time is the bound: whether a
					// bound is inclusive is not documented, so it may or may
					// not be listed; the outer records are decisive.
					{"filter[timeFrom]=<2nd record's time>", map[string]string{"filter[timeFrom]": all[1].time}, nil, []int64{ids[0]}},
					{"filter[timeTo]=<2nd record's time>", map[string]string{"filter[timeTo]": all[1].time}, nil, []int64{ids[2]}},
				}
				for _, f := range filters {
					list, z := q(f.p)
					got := recordIDs(list)
					if f.want != nil {
						t.Expect(slices.Equal(got, f.want), z, "%s: want ids %v, got %s", f.name, f.want, describe2FA(list))
						continue
					}
					for _, id := range f.not {
						t.Expect(!slices.Contains(got, id), z, "%s: record #%d is outside the range but listed: %s", f.name, id, describe2FA(list))
					}
					inside := ids[2]
					if strings.Contains(f.name, "timeTo") {
						inside = ids[0]
					}
					t.Expect(slices.Contains(got, inside), z, "%s: record #%d is inside the range but missing: %s", f.name, inside, describe2FA(list))
				}
				if len(before) == 0 {
					page, z := q(map[string]string{"limit": "1", "offset": "1"})
					t.Expect(slices.Equal(recordIDs(page), []int64{ids[1]}), z, "limit=1&offset=1: want id %d, got %s", ids[1], describe2FA(page))
					page, z = q(map[string]string{"limit": "2", "offset": "0"})
					t.Expect(slices.Equal(recordIDs(page), ids[:2]), z, "limit=2&offset=0: want ids %v, got %s", ids[:2], describe2FA(page))
				}
			},
		},
		&Check{
			ID: "MGMT-008", Title: "A 2FA history record is readable by its client only (another client gets 404)", Group: Group2FAManage, Level: MUST,
			Source: src(doc001, "Get 2FA change details") + "; " + src(docCT, "Errors (another client's record gets 404)"),
			Run: func(t *T) {
				a, b := t.newAccount(), t.newAccount()
				s := t.login(a)
				t.enableGoogle(a, s)
				list, x := t.listHistory("/2fa/changes", s, nil)
				if !t.Expect(len(list) > 0, x, "no record after enabling 2FA") {
					return
				}
				r := list[0]
				y := t.api("2fa change", http.MethodGet, api+"/2fa/changes/"+itoa(r.id), nil, withBearer(s.access))
				if t.Expect(y.Status() == http.StatusOK, y, "GET 2fa/changes/{id} by its client: want 200") {
					id, _ := jint(y.J(), "id")
					t.Expect(id == r.id && jstr(y.J(), "provider") == r.kind, y, "the record differs from the list's")
				}
				sb := t.login(b)
				z := t.api("2fa change (other client)", http.MethodGet, api+"/2fa/changes/"+itoa(r.id), nil, withBearer(sb.access))
				t.Expect(z.Status() == http.StatusNotFound, z, "GET 2fa/changes/{id} of another client: want 404")
			},
		},
	)
}

func describe2FA(rs []historyRecord) string {
	s := "["
	for i, r := range rs {
		if i > 0 {
			s += ", "
		}
		state := "off"
		if r.on {
			state = "on"
		}
		s += "#" + itoa(r.id) + " " + r.kind + " " + state
	}
	return s + "]"
}

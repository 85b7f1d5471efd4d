package refserver

import (
	"fmt"
	"slices"
	"strings"
)

// Deliberate defects. Each one is a clearly named branch in the code, off by
// default, that breaks one documented or contracted behaviour, so that a run
// of the conformance suite against `authflow serve --defect NAME` proves the
// suite notices.
const (
	DefectNoLockout              = "no-lockout"
	DefectLockoutIgnoresPassword = "lockout-ignores-password"
	DefectTOTPReplay             = "totp-replay"
	DefectTOTPWideWindow         = "totp-wide-window"
	DefectRefreshNoRotate        = "refresh-no-rotate"
	DefectSignOutNoRevoke        = "signout-no-revoke"
	DefectSuccessTokenReusable   = "success-token-reusable"
	DefectHistoryCrossClient     = "history-cross-client"
	DefectWrongFieldType         = "wrong-field-type"
	Defect500OnMalformedJSON     = "500-on-malformed-json"
	DefectNoRetryAfter           = "no-retry-after"
	DefectEnumeration            = "enumeration"
	DefectSMSCodeReusable        = "sms-code-reusable"
	DefectCapillaryTokenReusable = "capillary-token-reusable"
	DefectWizardUUIDReplay       = "wizard-uuid-replay"
	DefectAccessTokenNoExpiry    = "access-token-no-expiry"
	DefectLockoutRace            = "lockout-race"
	DefectRefreshRace            = "refresh-race"
	DefectSuccessTokenRace       = "success-token-race"
	DefectChallengeCodeRace      = "challenge-code-race"
	DefectTOTPRace               = "totp-race"
	DefectWindowSticky           = "window-sticky"
	DefectBlockShort             = "block-short"
	DefectRetryAfterFullBlock    = "retry-after-full-block"
	DefectCodeUnbound            = "code-unbound"
	DefectCapillaryTokenUnbound  = "capillary-token-unbound"
	DefectResetBeforeCode        = "reset-before-code"
	DefectEnumerationTiming      = "enumeration-timing"
	DefectLockoutCaseSensitive   = "lockout-case-sensitive"
	DefectRefreshLimitPerSession = "refresh-limit-per-session"
)

// DefectInfo names a defect and says in one line what it breaks.
type DefectInfo struct {
	Name        string
	Description string
}

var defectList = []DefectInfo{
	{DefectNoLockout, "failed sign-ins are never counted: no identifier is ever blocked (no 429)"},
	{DefectLockoutIgnoresPassword, "while an identifier is blocked, the correct password (and 2FA code) still signs in"},
	{DefectTOTPReplay, "a TOTP code already accepted for a client is accepted again"},
	{DefectTOTPWideWindow, "TOTP codes up to 3 steps (90 s) away from now are accepted instead of 1"},
	{DefectRefreshNoRotate, "the refresh token used by a refresh stays valid"},
	{DefectSignOutNoRevoke, "sign-out answers 200 but the session's tokens stay valid"},
	{DefectSuccessTokenReusable, "a 2FA success token can be used for more than one password change/restore"},
	{DefectHistoryCrossClient, "another client's 2FA or password history record is readable by id"},
	{DefectWrongFieldType, "list `total` is a string and challenge `expiresAt` is a number"},
	{Defect500OnMalformedJSON, "a malformed JSON body answers 500 instead of 400"},
	{DefectNoRetryAfter, "429 answers carry no Retry-After header"},
	{DefectEnumeration, "an unknown email answers 404 \"client not found\" instead of the wrong-password 401"},
	{DefectSMSCodeReusable, "a used SMS code keeps working (for any wizard of that phone and purpose) until it expires"},
	{DefectCapillaryTokenReusable, "a Capillary MFA token can change the password more than once"},
	{DefectWizardUUIDReplay, "a finished Sign In Wizard uuid can be used again"},
	{DefectAccessTokenNoExpiry, "expired access tokens are still accepted"},
	{DefectLockoutRace, "a sign-in checks the block, then counts its failure later: concurrent wrong passwords all get checked"},
	{DefectRefreshRace, "a refresh checks its token, then retires it later: one refresh token used concurrently refreshes more than once"},
	{DefectSuccessTokenRace, "a success token is checked, then deleted later: used concurrently, it changes the password more than once"},
	{DefectChallengeCodeRace, "a 2FA challenge checks the emailed code, then uses it up later: used concurrently, it yields several success tokens"},
	{DefectTOTPRace, "a TOTP code is checked against the last accepted step, which is recorded later: submitted concurrently, it signs in more than once"},
	{DefectWindowSticky, "failed sign-ins and refreshes never fall out of the window: they count until a block clears them"},
	{DefectBlockShort, "the lockout and refresh blocks last half the configured `block`"},
	{DefectRetryAfterFullBlock, "Retry-After always says the whole block, not the time left of it"},
	{DefectCodeUnbound, "an SMS or email code is accepted for any client and wizard, not only the one it was sent for"},
	{DefectCapillaryTokenUnbound, "a Capillary MFA token works with any identifier and deviceId (of its brand)"},
	{DefectResetBeforeCode, "a reset-required sign-in accepts the new password before the emailed code step"},
	{DefectEnumerationTiming, "a wrong password for an existing email costs a production-grade hash (250 ms); an unknown email skips it"},
	{DefectLockoutCaseSensitive, "the lockout counts the email as typed: USER@host and user@host sign in to one account but are counted apart"},
	{DefectRefreshLimitPerSession, "the refresh limit counts per session, not per client: each new sign-in gets a fresh allowance"},
}

// Defects lists every deliberate defect with its description.
func Defects() []DefectInfo { return slices.Clone(defectList) }

// defectFlags is the parsed set; each field guards one branch.
type defectFlags struct {
	noLockout              bool
	lockoutIgnoresPassword bool
	totpReplay             bool
	totpWideWindow         bool
	refreshNoRotate        bool
	signOutNoRevoke        bool
	successTokenReusable   bool
	historyCrossClient     bool
	wrongFieldType         bool
	malformedJSON500       bool
	noRetryAfter           bool
	enumeration            bool
	smsCodeReusable        bool
	capillaryTokenReusable bool
	wizardUUIDReplay       bool
	accessTokenNoExpiry    bool
	lockoutRace            bool
	refreshRace            bool
	successTokenRace       bool
	challengeCodeRace      bool
	totpRace               bool
	windowSticky           bool
	blockShort             bool
	retryAfterFullBlock    bool
	codeUnbound            bool
	capillaryTokenUnbound  bool
	resetBeforeCode        bool
	enumerationTiming      bool
	lockoutCaseSensitive   bool
	refreshLimitPerSession bool
}

// ParseDefects splits comma-separated names (each element of names may hold
// several) and checks each against the known defects.
func ParseDefects(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		for _, p := range strings.Split(n, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if !slices.ContainsFunc(defectList, func(d DefectInfo) bool { return d.Name == p }) {
				return nil, fmt.Errorf("unknown defect %q (`--defect list` shows them)", p)
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func newDefectFlags(names []string) (defectFlags, error) {
	var d defectFlags
	names, err := ParseDefects(names)
	if err != nil {
		return d, err
	}
	for _, n := range names {
		switch n {
		case DefectNoLockout:
			d.noLockout = true
		case DefectLockoutIgnoresPassword:
			d.lockoutIgnoresPassword = true
		case DefectTOTPReplay:
			d.totpReplay = true
		case DefectTOTPWideWindow:
			d.totpWideWindow = true
		case DefectRefreshNoRotate:
			d.refreshNoRotate = true
		case DefectSignOutNoRevoke:
			d.signOutNoRevoke = true
		case DefectSuccessTokenReusable:
			d.successTokenReusable = true
		case DefectHistoryCrossClient:
			d.historyCrossClient = true
		case DefectWrongFieldType:
			d.wrongFieldType = true
		case Defect500OnMalformedJSON:
			d.malformedJSON500 = true
		case DefectNoRetryAfter:
			d.noRetryAfter = true
		case DefectEnumeration:
			d.enumeration = true
		case DefectSMSCodeReusable:
			d.smsCodeReusable = true
		case DefectCapillaryTokenReusable:
			d.capillaryTokenReusable = true
		case DefectWizardUUIDReplay:
			d.wizardUUIDReplay = true
		case DefectAccessTokenNoExpiry:
			d.accessTokenNoExpiry = true
		case DefectLockoutRace:
			d.lockoutRace = true
		case DefectRefreshRace:
			d.refreshRace = true
		case DefectSuccessTokenRace:
			d.successTokenRace = true
		case DefectChallengeCodeRace:
			d.challengeCodeRace = true
		case DefectTOTPRace:
			d.totpRace = true
		case DefectWindowSticky:
			d.windowSticky = true
		case DefectBlockShort:
			d.blockShort = true
		case DefectRetryAfterFullBlock:
			d.retryAfterFullBlock = true
		case DefectCodeUnbound:
			d.codeUnbound = true
		case DefectCapillaryTokenUnbound:
			d.capillaryTokenUnbound = true
		case DefectResetBeforeCode:
			d.resetBeforeCode = true
		case DefectEnumerationTiming:
			d.enumerationTiming = true
		case DefectLockoutCaseSensitive:
			d.lockoutCaseSensitive = true
		case DefectRefreshLimitPerSession:
			d.refreshLimitPerSession = true
		}
	}
	return d, nil
}

package refserver

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/authflow/authflow/testhooks"
)

// Message channels and code purposes. A code is bound to a recipient, a
// purpose and an owner (the wizard uuid or confirmation token that asked for
// it); a new code for the same recipient and purpose replaces the old one.
const (
	channelEmail = testhooks.ChannelEmail
	channelSMS   = testhooks.ChannelSMS

	purposeSignIn2FA   = "signin-2fa"   // SMS at sign-in
	purposeSignInReset = "signin-reset" // email at a reset-required sign-in
	purposeChallenge   = "challenge"    // email of a 2FA challenge
	purposeSMSEnable   = "sms-enable"   // SMS of the SMS enable wizard
	purposeSMSDisable  = "sms-disable"  // SMS of the SMS disable wizard
)

// sentCode is a 6-digit code waiting to be typed in.
type sentCode struct {
	code    string
	channel string
	owner   string
	expires time.Time
	wrong   int
}

func codeKey(recipient, purpose string) string {
	return normalizeRecipient(recipient) + "\x00" + purpose
}

// normalizeRecipient is the outbox key of an email or a phone number. A
// phone typed into a URL query unescaped has its '+' turned into a space;
// it is restored.
func normalizeRecipient(to string) string {
	to = strings.TrimSpace(to)
	if strings.Contains(to, "@") {
		return strings.ToLower(to)
	}
	return "+" + phoneKey(to)
}

// sendCode makes a fresh code for recipient and purpose, replacing any
// earlier one, and "sends" it: the outbox keeps the latest message per
// recipient for the test hook GET /__hooks/messages/latest.
func (s *Server) sendCode(channel, recipient, purpose, owner string) (sentAt, expires time.Time) {
	now := s.now()
	c := &sentCode{code: newCode(), channel: channel, owner: owner, expires: now.Add(s.cfg.CodeTTL)}
	s.codes.put(codeKey(recipient, purpose), c)
	to := normalizeRecipient(recipient)
	s.outbox.put(to, testhooks.Message{
		To:      to,
		Channel: channel,
		Code:    c.code,
		SentAt:  now.UTC().Format(time.RFC3339Nano),
	})
	return now, c.expires
}

// checkCode reports whether code is the live code of recipient, purpose and
// owner, and uses it up (single use). When countWrong is set, a wrong code
// counts against it, and after the sign-in policy's attempts the code dies.
func (s *Server) checkCode(recipient, purpose, owner, code string, countWrong bool) bool {
	ok := false
	now := s.now()
	key := codeKey(recipient, purpose)
	if s.defects.smsCodeReusable { // defect sms-code-reusable: a used SMS code keeps working until it expires
		if spent, found := s.spentCodes.get(key); found && now.Before(spent.expires) &&
			subtle.ConstantTimeCompare([]byte(spent.code), []byte(code)) == 1 {
			return true
		}
	}
	if s.defects.codeUnbound && s.anyLiveCode(purpose, code) { // defect code-unbound
		return true
	}
	s.codes.compute(key, func(c *sentCode, present bool) (*sentCode, mapOp) {
		if !present {
			return nil, opKeep
		}
		if !now.Before(c.expires) {
			return nil, opDelete
		}
		if c.owner != owner {
			return nil, opKeep
		}
		if subtle.ConstantTimeCompare([]byte(c.code), []byte(code)) == 1 {
			ok = true
			if c.channel == channelSMS && s.defects.smsCodeReusable { // defect sms-code-reusable
				s.spentCodes.put(key, c)
			}
			return nil, opDelete
		}
		if countWrong {
			c.wrong++
			if c.wrong >= s.policy.Load().SignIn.Attempts {
				return nil, opDelete
			}
		}
		return nil, opKeep
	})
	return ok
}

// latestMessage is the last message sent to recipient.
func (s *Server) latestMessage(recipient string) (testhooks.Message, bool) {
	return s.outbox.get(normalizeRecipient(recipient))
}

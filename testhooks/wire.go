// Package testhooks speaks the test-hooks contract v1 of CONTRACT.md: the
// calls a test deployment offers so that a run can create fresh accounts,
// read the codes the server sent and change the lockout policy. The
// reference server implements it; the conformance suite and the k6
// extension's hook code source use the client here.
package testhooks

// ContractVersion is the hooks contract this package speaks.
const ContractVersion = "v1"

// CreateClientRequest is the body of POST /clients.
type CreateClientRequest struct {
	TwoFactor     []string `json:"twoFactor"`
	ResetRequired bool     `json:"resetRequired"`
}

// Client is a created account, with its secrets: hooks exist to hand them
// to the test. Username and ExternalID are extra fields of the reference
// server (Capillary identifiers); the contract does not require them.
type Client struct {
	ID         int64   `json:"id"`
	Email      string  `json:"email"`
	Password   string  `json:"password"`
	TOTPSecret *string `json:"totpSecret"`
	Phone      *string `json:"phone"`
	Username   string  `json:"username,omitempty"`
	ExternalID string  `json:"externalId,omitempty"`
}

// Message is the latest code sent to an email address or phone number.
type Message struct {
	To      string `json:"to"`
	Channel string `json:"channel"`
	Code    string `json:"code"`
	SentAt  string `json:"sentAt"`
}

// Message channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Limit is one rate limit: Attempts within WindowSeconds block for
// BlockSeconds.
type Limit struct {
	Attempts      int `json:"attempts"`
	WindowSeconds int `json:"windowSeconds"`
	BlockSeconds  int `json:"blockSeconds"`
}

// Policy is the lockout and refresh policy in force.
type Policy struct {
	SignIn  Limit `json:"signin"`
	Refresh Limit `json:"refresh"`
}

// DefaultPolicy is the documents' default: 5 attempts a minute, 10-minute block.
func DefaultPolicy() Policy {
	l := Limit{Attempts: 5, WindowSeconds: 60, BlockSeconds: 600}
	return Policy{SignIn: l, Refresh: l}
}

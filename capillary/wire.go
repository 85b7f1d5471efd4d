// Package capillary is a client for the Capillary auth API v1 MFA password
// change: validate the current password for a token, then change it with
// that token. It shares the Transport of package b2core.
package capillary

// Paths of the two calls below the host.
const (
	PathValidate = "/auth/v1/mfa/password/validate"
	PathChange   = "/auth/v1/mfa/password/change"
)

// Identifier types the API accepts.
const (
	IdentifierMobile     = "MOBILE"
	IdentifierEmail      = "EMAIL"
	IdentifierUsername   = "USERNAME"
	IdentifierExternalID = "EXTERNALID"
)

// ValidateRequest is the body of POST mfa/password/validate (CONTRACT.md).
type ValidateRequest struct {
	IdentifierType  string `json:"identifierType"`
	IdentifierValue string `json:"identifierValue"`
	DeviceID        string `json:"deviceId"`
	Brand           string `json:"brand"`
	Password        string `json:"password"`
}

// ChangeRequest is the body of POST mfa/password/change.
type ChangeRequest struct {
	DeviceID        string `json:"deviceId"`
	Password        string `json:"password"`
	NewPassword     string `json:"newPassword"`
	ConfirmPassword string `json:"confirmPassword"`
	Brand           string `json:"brand"`
	Token           string `json:"token"`
	IdentifierType  string `json:"identifierType"`
	IdentifierValue string `json:"identifierValue"`
}

// Status is the status object of every answer; on failure Success is false
// and Code repeats the HTTP status.
type Status struct {
	Success bool   `json:"success"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Response is the answer of both calls; Token is set by validate only.
type Response struct {
	Status Status `json:"status"`
	Token  string `json:"token,omitempty"`
}

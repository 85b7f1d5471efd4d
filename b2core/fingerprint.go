package b2core

import (
	"encoding/base64"
	"encoding/json"
)

// DefaultUserAgent is the user_agent of the device fingerprint when
// Config.UserAgent is empty.
const DefaultUserAgent = "authflow/1.0"

// DeviceFingerprint returns the device_fingerprint the documents ask for:
// standard padded Base64 of the JSON object {"user_agent": userAgent}
// (DefaultUserAgent when empty).
func DeviceFingerprint(userAgent string) string {
	if userAgent == "" {
		userAgent = DefaultUserAgent
	}
	b, _ := json.Marshal(struct {
		UserAgent string `json:"user_agent"`
	}{userAgent}) // a struct of one string always encodes
	return base64.StdEncoding.EncodeToString(b)
}

package b2core

import (
	"context"
	"net/http"
)

// ChangePassword sets a signed-in client's password, guarded by the success
// token of a 2FA challenge (POST password/change, step password_change).
// Any 2xx is a success; its body is not read.
func (c *Client) ChangePassword(ctx context.Context, accessToken, successToken, newPassword string) error {
	_, _, err := c.send(ctx, step{name: "password_change", method: http.MethodPost, path: "/password/change", tmpl: "/password/change",
		bearer: accessToken, header: successHeader(successToken), body: PasswordRequest{Password: newPassword}})
	return err
}

// RestorePassword sets the password of a client who is not signed in,
// guarded by the success token of an unauthorized 2FA challenge (POST
// password/restore, step password_restore).
func (c *Client) RestorePassword(ctx context.Context, successToken, newPassword string) error {
	_, _, err := c.send(ctx, step{name: "password_restore", method: http.MethodPost, path: "/password/restore", tmpl: "/password/restore",
		header: successHeader(successToken), body: PasswordRequest{Password: newPassword}})
	return err
}

// successHeader carries the success token of a 2FA challenge, under the
// documents' header name successToken (canonically Successtoken).
func successHeader(token string) http.Header {
	h := http.Header{}
	h.Set("successToken", token)
	return h
}

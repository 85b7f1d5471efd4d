package b2core

import (
	"context"
	"net/http"
)

// QRChannel opens a QR-code sign-in channel (GET signin/qrcodes, step
// qr_channel).
func (c *Client) QRChannel(ctx context.Context) (*QRChannel, error) {
	req, resp, err := c.send(ctx, step{name: "qr_channel", method: http.MethodGet, path: "/signin/qrcodes", tmpl: "/signin/qrcodes"})
	if err != nil {
		return nil, err
	}
	ch, err := DecodeObject[QRChannel](resp.Body, "id")
	if err == nil && ch.ID == "" {
		err = shapef("empty id")
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return ch, nil
}

// QRAuthorize lets the signed-in mobile session of accessToken authorize a
// channel (POST signin/tokens, step qr_authorize; CONTRACT.md) and returns
// the authorization token.
func (c *Client) QRAuthorize(ctx context.Context, accessToken, channelID string) (string, error) {
	req, resp, err := c.send(ctx, step{name: "qr_authorize", method: http.MethodPost, path: "/signin/tokens", tmpl: "/signin/tokens",
		bearer: accessToken, body: QRTokenRequest{ChannelID: channelID}})
	if err != nil {
		return "", err
	}
	t, err := DecodeObject[QRTokenResponse](resp.Body, "authorizationToken")
	if err == nil && t.AuthorizationToken == "" {
		err = shapef("empty authorizationToken")
	}
	if err != nil {
		return "", ShapeError(req, resp, err)
	}
	return t.AuthorizationToken, nil
}

// QRSignIn trades an authorization token for a token pair (POST
// signin/qrcodes, step qr_signin).
func (c *Client) QRSignIn(ctx context.Context, authorizationToken string) (*QRSignInResponse, error) {
	req, resp, err := c.send(ctx, step{name: "qr_signin", method: http.MethodPost, path: "/signin/qrcodes", tmpl: "/signin/qrcodes",
		body: QRSignInRequest{DeviceFingerprint: c.fingerprint, AuthorizationToken: authorizationToken}})
	if err != nil {
		return nil, err
	}
	r, err := DecodeObject[QRSignInResponse](resp.Body, "clientId", "tokens")
	if err == nil {
		err = checkTokens(r.Tokens.AccessToken, r.Tokens.RefreshToken)
	}
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return r, nil
}

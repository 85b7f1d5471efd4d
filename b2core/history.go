package b2core

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// TFAChanges lists the 2FA change history (GET 2fa/changes, step
// 2fa_changes) with the paging, sorting and filters of q.
func (c *Client) TFAChanges(ctx context.Context, accessToken string, q HistoryQuery) (*List[TFAChange], error) {
	return getList[TFAChange](ctx, c, "2fa_changes", "/2fa/changes", accessToken, q.tfaValues(), "id", "provider", "isEnabled")
}

// TFAChange returns one 2FA change record (GET 2fa/changes/{id}, step
// 2fa_change).
func (c *Client) TFAChange(ctx context.Context, accessToken string, id int64) (*TFAChange, error) {
	return getObject[TFAChange](ctx, c, "2fa_change", "/2fa/changes/", id, accessToken, "id", "provider", "isEnabled")
}

// PasswordChanges lists the password change history (GET password/changes,
// step password_changes) with the paging and sorting of q.
func (c *Client) PasswordChanges(ctx context.Context, accessToken string, q HistoryQuery) (*List[PasswordChange], error) {
	return getList[PasswordChange](ctx, c, "password_changes", "/password/changes", accessToken, q.pageValues(), "id", "type", "createTime")
}

// PasswordChange returns one password change record (GET
// password/changes/{id}, step password_change_get).
func (c *Client) PasswordChange(ctx context.Context, accessToken string, id int64) (*PasswordChange, error) {
	return getObject[PasswordChange](ctx, c, "password_change_get", "/password/changes/", id, accessToken, "id", "type", "createTime")
}

func getList[T any](ctx context.Context, c *Client, name, path, accessToken string, q url.Values, required ...string) (*List[T], error) {
	p := path
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	req, resp, err := c.send(ctx, step{name: name, method: http.MethodGet, path: p, tmpl: path, bearer: accessToken})
	if err != nil {
		return nil, err
	}
	l, err := DecodeList[T](resp.Body, required...)
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return l, nil
}

func getObject[T any](ctx context.Context, c *Client, name, prefix string, id int64, accessToken string, required ...string) (*T, error) {
	req, resp, err := c.send(ctx, step{name: name, method: http.MethodGet, path: prefix + strconv.FormatInt(id, 10), tmpl: prefix + "{id}", bearer: accessToken})
	if err != nil {
		return nil, err
	}
	v, err := DecodeObject[T](resp.Body, required...)
	if err != nil {
		return nil, ShapeError(req, resp, err)
	}
	return v, nil
}

// pageValues is the paging and sorting part of the query.
func (q HistoryQuery) pageValues() url.Values {
	v := url.Values{}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	if q.SortBy != "" {
		v.Set("sort_by", q.SortBy)
	}
	if q.SortOrder != "" {
		v.Set("sort_order", q.SortOrder)
	}
	return v
}

// tfaValues adds the 2FA history filters (filter[isEnabled] and so on).
func (q HistoryQuery) tfaValues() url.Values {
	v := q.pageValues()
	if q.IsEnabled != nil {
		v.Set("filter[isEnabled]", strconv.FormatBool(*q.IsEnabled))
	}
	if !q.TimeFrom.IsZero() {
		v.Set("filter[timeFrom]", q.TimeFrom.Format(TimeLayout))
	}
	if !q.TimeTo.IsZero() {
		v.Set("filter[timeTo]", q.TimeTo.Format(TimeLayout))
	}
	if q.Provider != "" {
		v.Set("filter[provider]", q.Provider)
	}
	return v
}

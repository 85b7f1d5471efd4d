package serveproc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestK6Metric(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/metrics/iterations":
			_, _ = w.Write([]byte(`{"data":{"type":"metrics","id":"iterations","attributes":{"sample":{"count":42,"rate":7.5}}}}`))
		case "/v1/metrics/broken":
			_, _ = w.Write([]byte(`{"data":`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		metric, field string
		want          float64
		wantErr       string
	}{
		{"iterations", "count", 42, ""},
		{"iterations", "rate", 7.5, ""},
		{"iterations", "p(95)", 0, "has no p(95) yet"},
		{"checks", "rate", 0, "HTTP 404"},
		{"broken", "count", 0, "k6 API: broken"},
	}
	for _, tt := range tests {
		t.Run(tt.metric+"/"+tt.field, func(t *testing.T) {
			got, err := K6Metric(srv.Client(), addr, tt.metric, tt.field)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

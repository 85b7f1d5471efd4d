package serveproc

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// K6Metric reads field ("count", "rate", …) of metric's sample from the
// REST API of a k6 process listening on addr (k6 run --address).
func K6Metric(c *http.Client, addr, metric, field string) (float64, error) {
	resp, err := c.Get("http://" + addr + "/v1/metrics/" + metric)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("k6 API: %s: HTTP %d", metric, resp.StatusCode)
	}
	var m struct {
		Data struct {
			Attributes struct {
				Sample map[string]float64 `json:"sample"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return 0, fmt.Errorf("k6 API: %s: %w", metric, err)
	}
	v, ok := m.Data.Attributes.Sample[field]
	if !ok {
		return 0, fmt.Errorf("k6 API: %s has no %s yet", metric, field)
	}
	return v, nil
}

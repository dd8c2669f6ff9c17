package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
)

// TestInventedMethodsShareOneLabel: the nine methods net/http names keep their label; every other method, short
// or long, is counted under "other", so the label set cannot grow with what clients invent.
func TestInventedMethodsShareOneLabel(t *testing.T) {
	m := NewHTTP()
	for _, method := range []string{"GET", "POST", "FOO123", "get", "PROPFIND", strings.Repeat("X", 4096)} {
		m.Started()
		m.Finished("unmatched", method, http.StatusTooManyRequests, time.Millisecond)
	}
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var series []string
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if strings.HasPrefix(line, "http_requests_total{") {
			series = append(series, line)
		}
	}
	want := []string{
		`http_requests_total{method="GET",route="unmatched",status="429"} 1`,
		`http_requests_total{method="POST",route="unmatched",status="429"} 1`,
		`http_requests_total{method="other",route="unmatched",status="429"} 4`,
	}
	if strings.Join(series, "\n") != strings.Join(want, "\n") {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(series, "\n"), strings.Join(want, "\n"))
	}
	for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"} {
		if MethodLabel(method) != method {
			t.Errorf("MethodLabel(%s) = %s", method, MethodLabel(method))
		}
	}
}

// TestExportsTheContractNames: after one request, the handler's output has a sample of every metric the contract
// names (alerts and dashboards are built from those names).
func TestExportsTheContractNames(t *testing.T) {
	m := NewHTTP()
	m.Started()
	m.Finished("GET /healthz", http.MethodGet, http.StatusOK, time.Millisecond)
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, contract.PathMetrics, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	for _, name := range []string{contract.MetricRequests, contract.MetricRequestDuration, contract.MetricRequestsInFlight} {
		if !strings.Contains(w.Body.String(), "\n# TYPE "+name+" ") {
			t.Errorf("no %s in\n%s", name, w.Body.String())
		}
	}
}

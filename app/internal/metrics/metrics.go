// Package metrics records HTTP request counts and latencies in Prometheus format.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wechat-deploy/wechat-deploy/app/contract"
)

// HTTP holds the HTTP metrics of one server.
type HTTP struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
	// series caches the counter and histogram of each label combination: resolving labels on every request
	// hashes them and locks the vector.
	series sync.Map // seriesKey -> *series
}

type seriesKey struct {
	route, method string
	status        int
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// NewHTTP registers the metrics (named as contract.Metric*, which alerts and dashboards use) and the Go runtime
// and process collectors in a fresh registry.
func NewHTTP() *HTTP {
	reg := prometheus.NewRegistry()
	m := &HTTP{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: contract.MetricRequests, Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    contract.MetricRequestDuration,
			Help:    "HTTP request latency by route pattern, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: contract.MetricRequestsInFlight, Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format; the app mounts it on the metrics port only.
func (m *HTTP) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Started marks a request in flight.
func (m *HTTP) Started() { m.inflight.Inc() }

// OtherMethod is the method label of every request whose method is not one of net/http's nine: methods are
// whatever a client sends (FOO123, or kilobytes of letters), and a label per method would grow the registry,
// and every scrape, without bound.
const OtherMethod = "other"

// MethodLabel is method when it is one of the methods net/http names, OtherMethod otherwise. The label is always
// a constant, never the request's own string (which would keep the request line it was cut from alive).
func MethodLabel(method string) string {
	if i := slices.Index(knownMethods, method); i >= 0 {
		return knownMethods[i]
	}
	return OtherMethod
}

// knownMethods are the methods net/http names.
var knownMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
	http.MethodOptions, http.MethodConnect, http.MethodTrace,
}

// Finished records a request that Started: its count and latency by route pattern, method and status. Every
// label set is bounded: route must be one of the server's registered patterns or a single value for everything
// else (the handler passes "unmatched"), method is folded by MethodLabel, and status is a status code.
func (m *HTTP) Finished(route, method string, status int, elapsed time.Duration) {
	m.inflight.Dec()
	key := seriesKey{route, MethodLabel(method), status}
	v, ok := m.series.Load(key)
	if !ok {
		code := strconv.Itoa(status)
		v, _ = m.series.LoadOrStore(key, &series{
			count:   m.requests.WithLabelValues(route, key.method, code),
			latency: m.latency.WithLabelValues(route, key.method, code),
		})
	}
	s := v.(*series)
	s.count.Inc()
	s.latency.Observe(elapsed.Seconds())
}

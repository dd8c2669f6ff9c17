// Package metrics records HTTP request counts and latencies in Prometheus format.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HTTP holds the HTTP metrics of one server.
type HTTP struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// NewHTTP registers the metrics (and the Go runtime and process collectors) in a fresh registry.
func NewHTTP() *HTTP {
	reg := prometheus.NewRegistry()
	m := &HTTP{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method", "status"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics.
func (m *HTTP) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Begin marks a request in flight and returns the function that records it when done.
func (m *HTTP) Begin() func(route, method string, status int) {
	start := time.Now()
	m.inflight.Inc()
	return func(route, method string, status int) {
		m.inflight.Dec()
		s := strconv.Itoa(status)
		m.requests.WithLabelValues(route, method, s).Inc()
		m.latency.WithLabelValues(route, method, s).Observe(time.Since(start).Seconds())
	}
}

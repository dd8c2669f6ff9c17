// Package telemetry sets up the app's OpenTelemetry tracing. Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT
// is set, and off costs nothing: the app's packages take a trace.Tracer that is nil then, and skip every span.
// On, spans are batched to an OTLP/HTTP collector configured by the standard OTEL_EXPORTER_OTLP_* variables
// (which the exporter reads itself), sampled as OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG say (read by the
// SDK; parentbased_always_on when unset), and propagated with W3C trace context and baggage.
package telemetry

import (
	"context"
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// InstrumentationName is the name of the tracer the app's spans are made with (the instrumentation scope).
const InstrumentationName = "github.com/wechat-deploy/wechat-deploy/app"

// Propagator is how trace context travels in HTTP headers: W3C traceparent/tracestate and baggage.
var Propagator propagation.TextMapPropagator = propagation.NewCompositeTextMapPropagator(
	propagation.TraceContext{}, propagation.Baggage{})

// Config is what Setup needs beyond the OTel variables the SDK and exporter read themselves.
type Config struct {
	// Endpoint is OTEL_EXPORTER_OTLP_ENDPOINT; empty turns tracing off.
	Endpoint string
	// ServiceName is the resource's service.name.
	ServiceName string
	// Environment is the resource's deployment.environment.name (empty: not set).
	Environment string
}

// Tracing is tracing switched on. A nil *Tracing is tracing off: its Tracer is nil and Shutdown does nothing.
type Tracing struct {
	provider trace.TracerProvider
	tracer   trace.Tracer
}

// New wraps a tracer provider (tests pass an SDK provider with an in-memory exporter); Shutdown shuts it down
// when it has a Shutdown method, as the SDK's has.
func New(tp trace.TracerProvider) *Tracing {
	return &Tracing{provider: tp, tracer: tp.Tracer(InstrumentationName)}
}

// Setup switches tracing on when cfg.Endpoint is set, and returns nil (tracing off) when it is not. On, it builds
// the OTLP/HTTP exporter, a batch span processor and the resource, and installs the provider and Propagator as
// OpenTelemetry's globals (for libraries that use them; the app itself is handed its tracer); the SDK's own
// errors, such as a failed export, go to log. Shutdown flushes what is still buffered.
func Setup(ctx context.Context, cfg Config, log *slog.Logger) (*Tracing, error) {
	if cfg.Endpoint == "" {
		return nil, nil // tracing off: every method of *Tracing handles nil
	}
	// Options left unset: the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _TRACES_ENDPOINT, _HEADERS,
	// _TIMEOUT, _COMPRESSION, _CERTIFICATE) itself, appending /v1/traces to the base endpoint as the spec says.
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: creating the OTLP/HTTP exporter: %w", err)
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", cfg.ServiceName)}
	if cfg.Environment != "" {
		attrs = append(attrs, attribute.String("deployment.environment.name", cfg.Environment))
	}
	// Later detectors win: OTEL_RESOURCE_ATTRIBUTES first, then the SDK's own, then the service name.
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithAttributes(attrs...))
	if err != nil {
		return nil, fmt.Errorf("tracing: building the resource: %w", err)
	}
	// The sampler is left to the SDK, which reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(Propagator)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing", "error", err)
	}))
	return New(tp), nil
}

// Tracer is the tracer the app's spans are made with; nil when tracing is off.
func (t *Tracing) Tracer() trace.Tracer {
	if t == nil {
		return nil
	}
	return t.tracer
}

// Shutdown exports the spans still buffered and stops the exporter, within ctx; on a nil *Tracing it does
// nothing.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	s, ok := t.provider.(interface{ Shutdown(context.Context) error })
	if !ok {
		return nil
	}
	if err := s.Shutdown(ctx); err != nil {
		return fmt.Errorf("tracing: flushing spans: %w", err)
	}
	return nil
}

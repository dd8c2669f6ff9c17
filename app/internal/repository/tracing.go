package repository

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// queryTracer is the pgx.QueryTracer that records each query as a client span, a child of the caller's span,
// named by the operation and table ("SELECT users"). It records the query's text, which is parameterised ($1,
// $2: every query here is), and never the arguments.
type queryTracer struct {
	tracer trace.Tracer
	// attrs describe the server, the same for every query.
	attrs []attribute.KeyValue
}

var _ pgx.QueryTracer = (*queryTracer)(nil)

func newQueryTracer(tracer trace.Tracer, cc *pgx.ConnConfig) *queryTracer {
	attrs := []attribute.KeyValue{attribute.String("db.system.name", "postgresql")}
	if cc.Database != "" {
		attrs = append(attrs, attribute.String("db.namespace", cc.Database))
	}
	if cc.Host != "" && !strings.HasPrefix(cc.Host, "/") { // a Unix socket directory is no server address
		attrs = append(attrs, attribute.String("server.address", cc.Host), attribute.Int("server.port", int(cc.Port)))
	}
	return &queryTracer{tracer: tracer, attrs: attrs}
}

// TraceQueryStart implements pgx.QueryTracer: it starts the query's span (data.Args are left out).
func (q *queryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	op, table := operation(data.SQL)
	name := op
	attrs := append(make([]attribute.KeyValue, 0, len(q.attrs)+3), q.attrs...)
	attrs = append(attrs, attribute.String("db.operation.name", op), attribute.String("db.query.text", data.SQL))
	if table != "" {
		name += " " + table
		attrs = append(attrs, attribute.String("db.collection.name", table))
	}
	ctx, _ = q.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer: it ends the query's span, with status Error when the query failed.
// The error's own text stays out (a constraint violation's detail names the values): the span gets the SQLSTATE,
// or which deadline ended the query.
func (q *queryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	defer span.End()
	if data.Err == nil || errors.Is(data.Err, pgx.ErrNoRows) {
		return
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.As(data.Err, &pgErr):
		span.SetAttributes(attribute.String("db.response.status_code", pgErr.Code), attribute.String("error.type", pgErr.Code))
		span.SetStatus(codes.Error, "SQLSTATE "+pgErr.Code)
	case errors.Is(data.Err, context.DeadlineExceeded):
		span.SetAttributes(attribute.String("error.type", "timeout"))
		span.SetStatus(codes.Error, "deadline exceeded")
	case errors.Is(data.Err, context.Canceled):
		span.SetAttributes(attribute.String("error.type", "canceled"))
		span.SetStatus(codes.Error, "canceled")
	default:
		span.SetAttributes(attribute.String("error.type", "_OTHER"))
		span.SetStatus(codes.Error, "query failed")
	}
}

// operation is a query's operation (its first keyword, upper case) and, when it names one plainly, its table:
// "SELECT users" from "SELECT … FROM users WHERE …", "INSERT users", "UPDATE users".
func operation(sql string) (op, table string) {
	fields := strings.Fields(sql)
	if len(fields) == 0 {
		return "QUERY", ""
	}
	op = strings.ToUpper(fields[0])
	after := ""
	switch op {
	case "SELECT", "DELETE":
		after = "FROM"
	case "INSERT":
		after = "INTO"
	case "UPDATE":
		if len(fields) > 1 {
			return op, identifier(fields[1])
		}
		return op, ""
	default:
		return op, ""
	}
	for i := 1; i+1 < len(fields); i++ {
		if strings.EqualFold(fields[i], after) {
			return op, identifier(fields[i+1])
		}
	}
	return op, ""
}

// identifier is the table name a field starts with ("users" from "users(open_id," or "users;"), or "" when it
// does not start with one.
func identifier(field string) string {
	end := strings.IndexFunc(field, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' && r != '.'
	})
	if end < 0 {
		end = len(field)
	}
	return field[:end]
}

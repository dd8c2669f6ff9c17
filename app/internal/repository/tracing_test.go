package repository

import "testing"

func TestOperation(t *testing.T) {
	tests := []struct{ sql, op, table string }{
		{"SELECT id, open_id FROM users WHERE id = $1", "SELECT", "users"},
		{"\n\t\tINSERT INTO users (open_id, union_id) VALUES ($1, $2)", "INSERT", "users"},
		{"INSERT INTO schema_migrations(name) VALUES ($1)", "INSERT", "schema_migrations"},
		{"UPDATE users SET updated_at = now() WHERE id = $1 RETURNING id", "UPDATE", "users"},
		{"update public.users set x = 1", "UPDATE", "public.users"},
		{"DELETE FROM users WHERE id = $1", "DELETE", "users"},
		{"SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)", "SELECT", "schema_migrations"},
		{"SELECT pg_advisory_lock($1)", "SELECT", ""},
		{"SELECT * FROM (SELECT 1) s", "SELECT", ""},
		{"CREATE TABLE IF NOT EXISTS users (id BIGSERIAL)", "CREATE", ""},
		{"  ", "QUERY", ""},
		{"UPDATE", "UPDATE", ""},
	}
	for _, tt := range tests {
		if op, table := operation(tt.sql); op != tt.op || table != tt.table {
			t.Errorf("operation(%q) = %q, %q; want %q, %q", tt.sql, op, table, tt.op, tt.table)
		}
	}
}

CREATE TABLE IF NOT EXISTS users (
    id          BIGSERIAL PRIMARY KEY,
    open_id     TEXT        NOT NULL UNIQUE,
    union_id    TEXT        NOT NULL DEFAULT '',
    nickname    TEXT        NOT NULL DEFAULT '',
    avatar_url  TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS users_union_id_idx ON users (union_id) WHERE union_id <> '';

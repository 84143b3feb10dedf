-- 001 (PostgreSQL): users, tokens, settings, events, jobs.
-- Same tables and columns as ../001_foundation.sql. Dialect differences:
-- times in ms and sizes are BIGINT (SQLite's INTEGER is 64-bit, PostgreSQL's
-- 32-bit), REAL is DOUBLE PRECISION, BLOB is BYTEA, no WITHOUT ROWID.
-- Two helpers make SQLite's spelling valid here too, so later migrations
-- can be shared:
--   json_valid(text): true when the text parses as JSON (CHECK constraints);
--   COLLATE nocase: case-insensitive equality and uniqueness (ICU, level 2),
--   as SQLite's NOCASE.

CREATE FUNCTION json_valid(doc text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  PERFORM doc::json;
  RETURN true;
EXCEPTION WHEN others THEN
  RETURN false;
END
$$;

CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE COLLATE nocase,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'researcher', 'viewer')),
  active        INTEGER NOT NULL DEFAULT 1,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);

CREATE TABLE revoked_tokens (
  jti        TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

CREATE TABLE settings (
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL CHECK (json_valid(value)),
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, key)
);

CREATE TABLE server_settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL CHECK (json_valid(value)),
  updated_at BIGINT NOT NULL
);

CREATE TABLE events (
  channel    TEXT NOT NULL,
  seq        BIGINT NOT NULL,
  event      TEXT NOT NULL,
  data       TEXT NOT NULL CHECK (json_valid(data)),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (channel, seq)
);

CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL,
  ref_id      TEXT,
  user_id     TEXT,
  payload     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(payload)),
  status      TEXT NOT NULL DEFAULT 'queued'
              CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  error       TEXT,
  run_after   BIGINT NOT NULL DEFAULT 0,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE INDEX jobs_claim ON jobs (kind, status, run_after, created_at);
CREATE INDEX jobs_ref ON jobs (ref_id);

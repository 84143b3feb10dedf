-- 003 (PostgreSQL): model calls, as ../003_llm.sql. The store lists a
-- mission's calls in insertion order (ORDER BY rowid on SQLite): here an
-- identity column named rowid gives the same order to the same SQL.
CREATE TABLE llm_calls (
  id                TEXT PRIMARY KEY,
  rowid             BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  user_id           TEXT REFERENCES users (id) ON DELETE CASCADE,
  mission_id        TEXT,
  chat_id           TEXT,
  agent             TEXT,
  role              TEXT NOT NULL,
  provider          TEXT NOT NULL,
  endpoint          TEXT NOT NULL,
  model             TEXT NOT NULL,
  request           TEXT NOT NULL CHECK (json_valid(request)),
  response          TEXT,
  prompt_tokens     INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  tokens_estimated  INTEGER NOT NULL DEFAULT 0,
  cost_usd          DOUBLE PRECISION NOT NULL DEFAULT 0,
  latency_ms        BIGINT NOT NULL DEFAULT 0,
  status            TEXT NOT NULL CHECK (status IN ('ok', 'error', 'cancelled')),
  source            TEXT NOT NULL DEFAULT 'live' CHECK (source IN ('live', 'cache', 'replay')),
  error             TEXT,
  request_hash      TEXT NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 1,
  created_at        BIGINT NOT NULL
);
CREATE INDEX llm_calls_mission ON llm_calls (mission_id, rowid);
CREATE INDEX llm_calls_hash ON llm_calls (request_hash, mission_id);
CREATE INDEX llm_calls_chat ON llm_calls (chat_id, rowid);

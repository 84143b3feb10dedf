-- 003: model calls (accounting, cache, replay).
-- One row per llm_chat() outcome: live calls, cache hits and replays.
-- mission_id / chat_id have no foreign key (those tables come later and the
-- record must survive independently); store_llm_calls_delete_mission() cleans up.
CREATE TABLE llm_calls (
  id                TEXT PRIMARY KEY,
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
  cost_usd          REAL NOT NULL DEFAULT 0,
  latency_ms        INTEGER NOT NULL DEFAULT 0,
  status            TEXT NOT NULL CHECK (status IN ('ok', 'error', 'cancelled')),
  source            TEXT NOT NULL DEFAULT 'live' CHECK (source IN ('live', 'cache', 'replay')),
  error             TEXT,
  request_hash      TEXT NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 1,
  created_at        INTEGER NOT NULL
);
CREATE INDEX llm_calls_mission ON llm_calls (mission_id);
CREATE INDEX llm_calls_hash ON llm_calls (request_hash, mission_id);
CREATE INDEX llm_calls_chat ON llm_calls (chat_id);

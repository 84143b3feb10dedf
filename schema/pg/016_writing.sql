-- 016 (PostgreSQL): the Writing workspace, as ../016_writing.sql (BIGINT
-- times, no WITHOUT ROWID).
CREATE TABLE writing_sessions (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title      TEXT NOT NULL,
  group_id   TEXT,
  style      TEXT NOT NULL DEFAULT 'apa' CHECK (style IN ('apa', 'mla', 'chicago', 'ieee')),
  web        INTEGER NOT NULL DEFAULT 0,
  chat_id    TEXT,
  mission_id TEXT,
  next_ref   INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX writing_sessions_user ON writing_sessions (user_id, updated_at);
CREATE INDEX writing_sessions_chat ON writing_sessions (chat_id);

CREATE TABLE writing_versions (
  session_id TEXT NOT NULL REFERENCES writing_sessions (id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  content    TEXT NOT NULL,
  author     TEXT NOT NULL DEFAULT 'user' CHECK (author IN ('user', 'assistant', 'report')),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, version)
);

CREATE TABLE writing_references (
  session_id TEXT NOT NULL REFERENCES writing_sessions (id) ON DELETE CASCADE,
  n          INTEGER NOT NULL,
  data       TEXT NOT NULL CHECK (json_valid(data)),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, n)
);

-- 016: the Writing workspace (issue 13 §2, docs/writing.md).
--
-- A writing session belongs to one user: a Markdown draft kept as versions
-- (every save is a new version; author says who made it: "user", "report"
-- when the session was continued from a mission report, "assistant" when
-- an accepted suggestion was saved), the references the draft cites (data:
-- the reference as cite.h reads it, {type, title, authors, year, venue,
-- volume, issue, pages, publisher, doi, url, accessed, document_id, page};
-- n is the number the draft's [@n] markers use, never reused in a session),
-- and the chat its assistant answers in (a chat with documents of the same
-- user, hidden from the chat list; chat_id has no foreign key, like
-- chats.group_id). group_id scopes the assistant to one group; style is the
-- citation style shown and exported (apa, mla, chicago, ieee); mission_id
-- the mission whose report started the session.
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
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX writing_sessions_user ON writing_sessions (user_id, updated_at);
CREATE INDEX writing_sessions_chat ON writing_sessions (chat_id);

CREATE TABLE writing_versions (
  session_id TEXT NOT NULL REFERENCES writing_sessions (id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  content    TEXT NOT NULL,
  author     TEXT NOT NULL DEFAULT 'user' CHECK (author IN ('user', 'assistant', 'report')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, version)
) WITHOUT ROWID;

CREATE TABLE writing_references (
  session_id TEXT NOT NULL REFERENCES writing_sessions (id) ON DELETE CASCADE,
  n          INTEGER NOT NULL,
  data       TEXT NOT NULL CHECK (json_valid(data)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, n)
) WITHOUT ROWID;

-- 006: chat with documents.
--
-- A chat belongs to one user and optionally searches only one of that user's
-- groups (group_id has no foreign key: when the group is deleted the chat
-- says so instead of silently widening its scope to the whole library).
-- answering_since marks a question being answered (one at a time per chat);
-- a mark older than the model timeout is stale (crash) and can be taken over.
CREATE TABLE chats (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title           TEXT NOT NULL,
  title_auto      INTEGER NOT NULL DEFAULT 0,
  group_id        TEXT,
  answering_since INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX chats_user ON chats (user_id, updated_at);

-- Messages in order. citations: JSON array of cited passages
-- {n, document_id, title, filename, page, chunk_id, text}; meta: how the
-- answer was made {mode: "model"|"extractive", model, passages, ...}.
CREATE TABLE chat_messages (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  chat_id    TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  content    TEXT NOT NULL,
  citations  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(citations)),
  meta       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  created_at INTEGER NOT NULL
);
CREATE INDEX chat_messages_chat ON chat_messages (chat_id, id);

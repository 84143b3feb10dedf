-- 015: research chat - a mission shaped by conversation before it starts.
--
-- A draft belongs to one user. proposal is the current card (title,
-- questions, sources, depth, language, tone, audience; docs/missions.md);
-- mission_id is set once "Start research" created the mission, chat_id is
-- the chat-with-documents conversation that continues next to the mission.
-- answering_since marks a turn being answered (one at a time per draft),
-- like chats.answering_since.
CREATE TABLE research_drafts (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title           TEXT NOT NULL,
  proposal        TEXT NOT NULL CHECK (json_valid(proposal)),
  mission_id      TEXT,
  chat_id         TEXT,
  answering_since INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX research_drafts_user ON research_drafts (user_id, updated_at);
CREATE INDEX research_drafts_mission ON research_drafts (mission_id);

-- The conversation's history, in order: the user's turns, the planner's
-- answers (each with the proposal it made) and the user's card edits
-- (role 'edit', with the card as saved). meta: how an answer was made
-- {mode: "model"|"offline"|"fallback", model, reason, ...}.
CREATE TABLE research_draft_messages (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  draft_id   TEXT NOT NULL REFERENCES research_drafts (id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'edit')),
  content    TEXT NOT NULL,
  proposal   TEXT CHECK (proposal IS NULL OR json_valid(proposal)),
  meta       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  created_at INTEGER NOT NULL
);
CREATE INDEX research_draft_messages_draft ON research_draft_messages (draft_id, id);

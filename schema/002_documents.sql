-- 002: document library, groups, chunks, full-text index, embeddings.
--
-- A document is visible to searches only once status = 'ready': ingestion
-- writes chunks while the document is 'processing' and flips it to 'ready'
-- in the last transaction, so a crash never leaves a half-indexed document
-- searchable (the resumed job deletes the partial chunks and starts over).
CREATE TABLE documents (
  id            TEXT PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  filename      TEXT NOT NULL,
  stored_path   TEXT NOT NULL,
  mime          TEXT NOT NULL DEFAULT 'application/octet-stream',
  size_bytes    INTEGER NOT NULL DEFAULT 0,
  content_hash  TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
  error         TEXT,
  title         TEXT,
  authors       TEXT,
  year          TEXT,
  metadata      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  pages         INTEGER NOT NULL DEFAULT 0,
  chunk_count   INTEGER NOT NULL DEFAULT 0,
  text_chars    INTEGER NOT NULL DEFAULT 0,
  chunk_size    INTEGER NOT NULL DEFAULT 1000,
  chunk_overlap INTEGER NOT NULL DEFAULT 200,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (user_id, content_hash)
);
CREATE INDEX documents_user ON documents (user_id, status, created_at);

-- The extracted plain text (what GET /api/documents/{id}/text returns).
CREATE TABLE document_texts (
  document_id TEXT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
  text        TEXT NOT NULL
);

CREATE TABLE doc_groups (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (user_id, name)
);

CREATE TABLE doc_group_members (
  group_id    TEXT NOT NULL REFERENCES doc_groups (id) ON DELETE CASCADE,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  added_at    INTEGER NOT NULL,
  PRIMARY KEY (group_id, document_id)
) WITHOUT ROWID;
CREATE INDEX doc_group_members_doc ON doc_group_members (document_id);

-- Chunks. title/heading/body are the columns the FTS index reads (external
-- content): title is the document title at indexing time, heading the
-- heading path ("Intro > Scope"), body the chunk text.
CREATE TABLE chunks (
  id          INTEGER PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  page        INTEGER NOT NULL DEFAULT 0,
  char_start  INTEGER NOT NULL,
  char_end    INTEGER NOT NULL,
  title       TEXT NOT NULL DEFAULT '',
  heading     TEXT NOT NULL DEFAULT '',
  body        TEXT NOT NULL
);
CREATE INDEX chunks_doc ON chunks (document_id, seq);
CREATE INDEX chunks_user ON chunks (user_id);

-- Full-text index over chunks with the project's tokenizer ("maestro":
-- porter + unicode61 for Latin text, overlapping bigrams for Hangul/Han/Kana),
-- registered on every connection by rag_fts_register() before this runs.
-- user_id is indexed too: a search ANDs the owner's id into the FTS query,
-- so only the owner's rows are ever ranked.
CREATE VIRTUAL TABLE chunks_fts USING fts5 (
  title, heading, body, user_id,
  content = 'chunks', content_rowid = 'id',
  tokenize = 'maestro'
);
-- The index follows the chunks table, including cascaded deletes (a deleted
-- document or user takes its index entries with it).
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, title, heading, body, user_id) VALUES (new.id, new.title, new.heading, new.body, new.user_id);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, title, heading, body, user_id)
  VALUES ('delete', old.id, old.title, old.heading, old.body, old.user_id);
END;
CREATE TRIGGER chunks_au AFTER UPDATE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, title, heading, body, user_id)
  VALUES ('delete', old.id, old.title, old.heading, old.body, old.user_id);
  INSERT INTO chunks_fts (rowid, title, heading, body, user_id) VALUES (new.id, new.title, new.heading, new.body, new.user_id);
END;

-- One normalised float32 vector per chunk and model.
CREATE TABLE embeddings (
  chunk_id INTEGER NOT NULL REFERENCES chunks (id) ON DELETE CASCADE,
  model    TEXT NOT NULL,
  dim      INTEGER NOT NULL,
  vec      BLOB NOT NULL,
  PRIMARY KEY (chunk_id, model)
) WITHOUT ROWID;
CREATE INDEX embeddings_model ON embeddings (model);

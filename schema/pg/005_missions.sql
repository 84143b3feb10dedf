-- 005 (PostgreSQL): research missions, as ../005_missions.sql (BIGINT
-- times, DOUBLE PRECISION quality, no WITHOUT ROWID). Two additions:
-- mission_notes.rowid (notes list in insertion order, ORDER BY rowid as on
-- SQLite) and missions_next_run (below).
CREATE TABLE missions (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title        TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  questions    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(questions)),
  sources      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources)),
  group_id     TEXT,
  settings     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
  analysis     TEXT CHECK (analysis IS NULL OR json_valid(analysis)),
  review       TEXT CHECK (review IS NULL OR json_valid(review)),
  schedule     TEXT,
  status       TEXT NOT NULL DEFAULT 'queued'
               CHECK (status IN ('queued', 'running', 'paused', 'completed', 'failed', 'stopped')),
  phase        TEXT NOT NULL DEFAULT 'analyse',
  round        INTEGER NOT NULL DEFAULT 0,
  pass         INTEGER NOT NULL DEFAULT 0,
  offline      INTEGER NOT NULL DEFAULT 0,
  budget_hit   INTEGER NOT NULL DEFAULT 0,
  checked      INTEGER NOT NULL DEFAULT 0,
  supported    INTEGER NOT NULL DEFAULT 0,
  error        TEXT,
  created_at   BIGINT NOT NULL,
  started_at   BIGINT,
  finished_at  BIGINT,
  updated_at   BIGINT NOT NULL
);
CREATE INDEX missions_user ON missions (user_id, created_at);
-- A scheduled mission's next run names it in settings.previous_run: one
-- next run per mission, even when several processes run the scheduler at
-- the same time (on SQLite the store checks it inside BEGIN IMMEDIATE).
CREATE UNIQUE INDEX missions_next_run ON missions ((settings::json ->> 'previous_run')) WHERE schedule IS NOT NULL;

CREATE TABLE mission_sections (
  mission_id       TEXT NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  parent_id        TEXT,
  position         INTEGER NOT NULL,
  title            TEXT NOT NULL,
  questions        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(questions)),
  priority         INTEGER NOT NULL DEFAULT 1,
  quality          DOUBLE PRECISION NOT NULL DEFAULT 0,
  reflections      INTEGER NOT NULL DEFAULT 0,
  researched_round INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (mission_id, id)
);

CREATE TABLE mission_notes (
  rowid        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id           TEXT PRIMARY KEY,
  mission_id   TEXT NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  section_id   TEXT NOT NULL,
  round        INTEGER NOT NULL,
  quote        TEXT NOT NULL,
  content      TEXT NOT NULL DEFAULT '',
  context      TEXT NOT NULL DEFAULT '',
  source_type  TEXT NOT NULL CHECK (source_type IN ('document', 'web')),
  source_key   TEXT NOT NULL,
  document_id  TEXT,
  chunk_id     BIGINT,
  page         INTEGER NOT NULL DEFAULT 0,
  url          TEXT,
  source_title TEXT NOT NULL DEFAULT '',
  authors      TEXT NOT NULL DEFAULT '',
  credibility  INTEGER NOT NULL DEFAULT 5,
  created_at   BIGINT NOT NULL
);
-- A B-tree entry holds at most ~2.7 kB, and quotes can be longer: the
-- uniqueness is enforced on the quote's MD5 (same rows refused as SQLite's
-- index on the quote itself, barring an MD5 collision).
CREATE UNIQUE INDEX mission_notes_unique ON mission_notes (mission_id, section_id, source_key, md5(quote));
CREATE INDEX mission_notes_mission ON mission_notes (mission_id, created_at);

CREATE TABLE mission_drafts (
  mission_id TEXT NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  section_id TEXT NOT NULL,
  version    INTEGER NOT NULL,
  kind       TEXT NOT NULL DEFAULT 'write',
  content    TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (mission_id, section_id, version)
);

CREATE TABLE mission_reports (
  mission_id TEXT NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  markdown   TEXT NOT NULL,
  meta       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (mission_id, version)
);

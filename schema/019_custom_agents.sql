-- 019: custom agents (issue 16 §2, docs/extending.md "Custom agents").
-- One spelling for SQLite and PostgreSQL (TEXT, BIGINT).
--
-- An agent is a slug (name) with versions: every change of its definition
-- is a new row of custom_agent_versions (definition: the JSON object
-- {description, prompt, tools, sources, position} as validated by
-- src/agents/custom.c), and custom_agents.version points at the current
-- one. disabled hides the agent from new missions without losing its
-- history. origin says where the current version came from: 'ui' (the
-- REST API, an admin) or 'file' (AGENTS_DIR at start); author is the admin's
-- user id or "file:<file name>".
CREATE TABLE custom_agents (
  name       TEXT PRIMARY KEY,
  version    BIGINT NOT NULL,
  disabled   BIGINT NOT NULL DEFAULT 0,
  origin     TEXT NOT NULL DEFAULT 'ui' CHECK (origin IN ('ui', 'file')),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE custom_agent_versions (
  name       TEXT NOT NULL REFERENCES custom_agents (name) ON DELETE CASCADE,
  version    BIGINT NOT NULL,
  definition TEXT NOT NULL,
  author     TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (name, version)
);

-- What a custom agent did in a mission: one row per agent, position,
-- section ('' for before_writing) and round, replaced when a step re-runs.
-- version is the definition that ran; status 'ran' or 'skipped' (reason
-- says why: no model, the model failed, nothing to read); output is JSON
-- {critique, notes_added, tools_called}.
CREATE TABLE custom_agent_runs (
  mission_id TEXT NOT NULL REFERENCES missions (id) ON DELETE CASCADE,
  agent      TEXT NOT NULL,
  version    BIGINT NOT NULL,
  position   TEXT NOT NULL CHECK (position IN ('after_research', 'before_writing')),
  section_id TEXT NOT NULL DEFAULT '',
  round      BIGINT NOT NULL DEFAULT 0,
  status     TEXT NOT NULL CHECK (status IN ('ran', 'skipped')),
  reason     TEXT,
  output     TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (mission_id, agent, position, section_id, round)
);

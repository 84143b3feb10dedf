-- 008: embeddings already computed, by model and text hash. Saves paying
-- twice for the same text (re-ingest, repeated queries) and lets a replayed
-- mission answer its embedding calls without any endpoint.
CREATE TABLE embedding_cache (
  model      TEXT NOT NULL,
  hash       BLOB NOT NULL,   -- SHA-256 of the text
  dim        INTEGER NOT NULL,
  vec        BLOB NOT NULL,   -- dim float32, L2-normalised
  created_at INTEGER NOT NULL,
  PRIMARY KEY (model, hash)
) WITHOUT ROWID;

-- 008 (PostgreSQL): embeddings already computed, as ../008_embedding_cache.sql.
CREATE TABLE embedding_cache (
  model      TEXT NOT NULL,
  hash       BYTEA NOT NULL,  -- SHA-256 of the text
  dim        INTEGER NOT NULL,
  vec        BYTEA NOT NULL,  -- dim float32, L2-normalised
  created_at BIGINT NOT NULL,
  PRIMARY KEY (model, hash)
);

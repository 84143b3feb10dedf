-- 004 (PostgreSQL): web search and page cache, as ../004_web.sql (BIGINT times).
CREATE TABLE web_search_cache (
  key        TEXT PRIMARY KEY,
  user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
  query      TEXT NOT NULL,
  provider   TEXT NOT NULL,
  results    TEXT NOT NULL CHECK (json_valid(results)),
  warnings   TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX web_search_cache_expiry ON web_search_cache (expires_at);
CREATE INDEX web_search_cache_user ON web_search_cache (user_id);

CREATE TABLE web_page_cache (
  url        TEXT PRIMARY KEY,
  page       TEXT NOT NULL CHECK (json_valid(page)),
  fetched_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX web_page_cache_expiry ON web_page_cache (expires_at);

-- 004: web search and page cache (src/store/webcache.c).

-- Search answers per (user, providers, options, query) key; `results` is the
-- provider's list for that one query, before merging.
CREATE TABLE web_search_cache (
  key        TEXT PRIMARY KEY,
  user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
  query      TEXT NOT NULL,
  provider   TEXT NOT NULL,
  results    TEXT NOT NULL CHECK (json_valid(results)),
  warnings   TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX web_search_cache_expiry ON web_search_cache (expires_at);
CREATE INDEX web_search_cache_user ON web_search_cache (user_id);

-- Fetched and extracted pages, shared by all users (public web content; the
-- fetch policy is server-wide). `page` holds {final_url, content_type,
-- status, title, text, published_date, truncated}.
CREATE TABLE web_page_cache (
  url        TEXT PRIMARY KEY,
  page       TEXT NOT NULL CHECK (json_valid(page)),
  fetched_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX web_page_cache_expiry ON web_page_cache (expires_at);

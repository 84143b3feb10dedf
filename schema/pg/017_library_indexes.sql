-- 017 (PostgreSQL): library indexes, as ../017_library_indexes.sql; the
-- title sort is lower(COALESCE(title, filename)) (no NOCASE collation).
CREATE INDEX documents_user_added ON documents (user_id, created_at, id);
CREATE INDEX documents_user_title ON documents (user_id, lower(COALESCE(title, filename)), id);
CREATE INDEX documents_user_year ON documents (user_id, year, id);

-- 017 (PostgreSQL): library indexes, as ../017_library_indexes.sql; the
-- title sort is lower(COALESCE(title, filename) COLLATE "C"): ASCII folded,
-- then byte order, as SQLite's NOCASE (the nocase collation of 001 is ICU's
-- order, which SQLite does not follow).
CREATE INDEX documents_user_added ON documents (user_id, created_at, id);
CREATE INDEX documents_user_title ON documents (user_id, lower(COALESCE(title, filename) COLLATE "C"), id);
CREATE INDEX documents_user_year ON documents (user_id, year, id);

-- 017: indexes for a library of thousands of documents (issue 14 §3).
--
-- GET /api/documents pages a user's documents sorted by date added, title or
-- year, with optional filters. Each sort has an index led by user_id so a
-- page is read in order without sorting the whole library; the title sort
-- uses the same expression as the query (title, else the file name, without
-- case).
CREATE INDEX documents_user_added ON documents (user_id, created_at, id);
CREATE INDEX documents_user_title ON documents (user_id, COALESCE(title, filename) COLLATE NOCASE, id);
CREATE INDEX documents_user_year ON documents (user_id, year, id);

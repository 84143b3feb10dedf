-- 007 (PostgreSQL): term statistics of the document index, as SQLite's
-- fts5vocab table chunks_fts_vocab (term, doc, cnt): a view over
-- chunk_postings, so `SELECT doc FROM chunks_fts_vocab WHERE term = ?` is
-- the same SQL on both backends (one index range count here).
CREATE VIEW chunks_fts_vocab (term, doc, cnt) AS
  SELECT term, count(*),
         sum(COALESCE(cardinality(title_pos), 0) + COALESCE(cardinality(heading_pos), 0)
             + COALESCE(cardinality(body_pos), 0))
  FROM chunk_postings GROUP BY term;

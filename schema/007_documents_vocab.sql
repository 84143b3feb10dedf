-- 007: term statistics of the document index, for fast lexical search.
--
-- A row per indexed term with the number of chunks holding it (doc) and its
-- occurrences (cnt), read straight from chunks_fts's index (nothing is
-- stored twice). Search reads the document frequency of each query term with
-- one index lookup (term = ?) instead of walking the term's rows, and uses
-- it to rank only the chunks that hold a selective term (see
-- store_chunks_search and docs/documents.md).
CREATE VIRTUAL TABLE chunks_fts_vocab USING fts5vocab (chunks_fts, row);

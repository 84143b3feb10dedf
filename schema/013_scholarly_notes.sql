-- 013: bibliographic data of notes read from scholarly search results
-- (arXiv, OpenAlex, Crossref, Semantic Scholar, PubMed), so the report's
-- reference line can cite the paper: year ("2023"), venue (journal,
-- conference or "arXiv") and DOI (bare, lowercase). NULL for documents and
-- plain web pages. Such notes keep source_type 'web' (their url is the
-- paper's DOI or landing page) and are told apart by these columns.
ALTER TABLE mission_notes ADD COLUMN year TEXT;
ALTER TABLE mission_notes ADD COLUMN venue TEXT;
ALTER TABLE mission_notes ADD COLUMN doi TEXT;

-- 014: bibliographic metadata of documents (issue 14 §2).
--
-- title, authors and year exist since 002. authors and keywords hold lists
-- joined with "; "; year four digits; doi the bare DOI ("10.1234/abc"),
-- arxiv_id without the "arXiv:" prefix; language a BCP 47 tag.
-- meta_sources records where each field came from ({"title":"first-page",
-- "doi":"xmp", "authors":"user"}): a field the user edited ("user") is
-- never overwritten when the document is ingested again. A DOI is stored
-- as found; completing the record through Crossref is a separate step.
ALTER TABLE documents ADD COLUMN venue TEXT;
ALTER TABLE documents ADD COLUMN doi TEXT;
ALTER TABLE documents ADD COLUMN arxiv_id TEXT;
ALTER TABLE documents ADD COLUMN abstract TEXT;
ALTER TABLE documents ADD COLUMN keywords TEXT;
ALTER TABLE documents ADD COLUMN language TEXT;
ALTER TABLE documents ADD COLUMN meta_sources TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta_sources));
CREATE INDEX documents_doi ON documents (user_id, doi) WHERE doi IS NOT NULL;

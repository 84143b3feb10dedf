-- 009: what a finished mission amounts to, and what its steps had to skip.
-- outcome: NULL until the mission completes; 'ok', or 'no_evidence' when the
-- report carries no verified citation although its sources were expected to
-- give notes. warnings: [{code, message, section_id?, round?, ts}], each kept
-- once (same code, section and message), in the order they happened.
ALTER TABLE missions ADD COLUMN outcome TEXT CHECK (outcome IS NULL OR outcome IN ('ok', 'no_evidence'));
ALTER TABLE missions ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(warnings));

-- 011 (PostgreSQL): as ../011_session_epoch.sql, in ms: BIGINT.
ALTER TABLE users ADD COLUMN tokens_valid_after BIGINT NOT NULL DEFAULT 0;

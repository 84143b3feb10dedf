-- 018 (PostgreSQL): as ../018_job_leases.sql, times in ms: BIGINT.
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN heartbeat_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX jobs_lease ON jobs (status, lease_until);

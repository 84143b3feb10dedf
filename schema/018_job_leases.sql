-- 018: job leases, so that several processes share one job table (issue 15).
--
-- A claimed job records which process runs it (owner: the store identity,
-- "host:pid:random.n", see store_identity()) and until when (lease_until,
-- epoch ms). The owner extends the lease while it works (heartbeat_at: its
-- last extension); a running job whose lease has passed belongs to a process
-- that died or hung, and any process puts it back in the queue. Finish and
-- requeue only touch a job its caller still owns. Jobs running before this
-- migration have no lease (0): the first sweep re-queues them.
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN heartbeat_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_lease ON jobs (status, lease_until);

-- 020: failed sign-ins in the store, so that every process sharing the
-- database counts the same failures (issue 15; store/throttle.h). A row per
-- failure: the key ("u:<name>" or "ip:<addr>") and when (epoch seconds).
-- Rows older than the throttling window are deleted as new failures arrive.
CREATE TABLE login_failures (
  throttle_key TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- 011: a per-user epoch for access tokens. Tokens issued (iat, in ms) before
-- tokens_valid_after are refused, on REST and on the WebSocket: a password
-- change or reset moves it to the time of the change, so every token handed
-- out before it stops working at once (not at its expiry). 0: no limit.
ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER NOT NULL DEFAULT 0;

-- The per-key rate limit of job submissions (mmgp.server.RateLimiter), one bucket per API key id
-- shared by every front end, so a key's limit holds however many front ends its requests reach.
CREATE TABLE rate_buckets (
  key_id      VARCHAR(64) PRIMARY KEY,
  tokens      DOUBLE PRECISION NOT NULL,
  refilled_at TIMESTAMP WITH TIME ZONE NOT NULL
);

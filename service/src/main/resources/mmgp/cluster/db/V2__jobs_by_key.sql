-- GET /api/requests: a key's jobs, newest first, a page at a time (mmgp.server.JobQuery).
CREATE INDEX jobs_key_created ON jobs(key_id, created_at DESC, id DESC);

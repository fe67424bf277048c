-- The cluster's job table: the single-node H2 table's columns, plus what many workers need.
CREATE TABLE jobs (
  id               VARCHAR(36) PRIMARY KEY,
  task             VARCHAR(16) NOT NULL,
  status           VARCHAR(16) NOT NULL,
  created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at       TIMESTAMP WITH TIME ZONE NOT NULL,
  request_json     TEXT NOT NULL,
  result_json      TEXT,
  error            VARCHAR(4000),
  key_id           VARCHAR(32),
  result_files     VARCHAR(1000) NOT NULL DEFAULT '',
  -- runs started; a worker that dies mid-run leaves it counted, so a request that kills its worker ends failed
  attempts         INTEGER NOT NULL DEFAULT 0,
  -- the worker running it now (its client id), null while queued
  worker           VARCHAR(200),
  cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX jobs_updated ON jobs(updated_at);
CREATE INDEX jobs_status ON jobs(status);

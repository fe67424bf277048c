-- The A/B variant of the model that ran the job (null when its task has one model, and for pipelines,
-- whose stages may each run a different variant: those are in result_json per stage).
ALTER TABLE jobs ADD COLUMN variant VARCHAR(64);
-- A pipeline job's current stage ('caption', 'image' or 'video'): the stage whose record is on its
-- task's topic or running now; null for single-task jobs.
ALTER TABLE jobs ADD COLUMN stage VARCHAR(16);
-- Whether the current stage's record is on its topic. The worker that advances a job sets it false,
-- sends the record, then sets it true: a worker dying in between leaves it false, and the redelivered
-- record of the previous stage sends it again.
ALTER TABLE jobs ADD COLUMN stage_sent BOOLEAN NOT NULL DEFAULT TRUE;

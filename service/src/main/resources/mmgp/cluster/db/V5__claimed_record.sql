-- The work record (topic-partition@offset) whose claim runs the job's current stage now. A running
-- job is claimed again only by the same record delivered again (its worker died or its partition
-- moved): a duplicate record of the same stage (sent twice when a worker failed between the send and
-- stage_sent) finds it running from another record and is skipped, so a stage never runs twice.
ALTER TABLE jobs ADD COLUMN claimed_record VARCHAR(300);

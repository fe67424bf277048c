package mmgp.engine;

import java.time.Duration;

/**
 * The engine's tuning, fixed at build time.
 *
 * @param threads           compute threads handed to each model (already resolved: never 0)
 * @param maxBatch          most requests in one model call (the model's own maximum may be lower)
 * @param maxWait           how long the dispatcher waits for companions after taking a request
 * @param queueCapacity     waiting requests per task before submissions are refused
 * @param concurrentBatches batches that may compute at the same time across all tasks
 * @param closeTimeout      how long {@link Engine#close} waits for running batches (twice: before and after cancelling them)
 * @param admission         the cost limits requests and batches are held to
 */
record EngineSettings(int threads, int maxBatch, Duration maxWait, int queueCapacity, int concurrentBatches,
                      Duration closeTimeout, AdmissionLimits admission) {}

package mmgp.api;

/**
 * An understanding answer with its measurements.
 *
 * @param stopReason    "end_of_utterance", "max_tokens" or "cancelled"
 * @param batchSize     how many requests shared the model call that produced this answer
 */
public record UnderstandResult(String text, int promptTokens, int generatedTokens, int framesUsed,
                               double timeToFirstTokenSeconds, double tokensPerSecond, String stopReason,
                               StageTimings timings, int batchSize) {}

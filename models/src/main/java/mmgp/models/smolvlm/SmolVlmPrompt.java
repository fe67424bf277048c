package mmgp.models.smolvlm;

import mmgp.api.StageTimings;

/**
 * A request's model input, ready for the text model: token ids (image positions hold the {@code <image>}
 * id), the image features for those positions (rows of n_embd, in order; null without media), and where
 * they came from. Kept apart from decoding so a caller can check a prompt against the processor's
 * goldens, or build it while another request generates.
 *
 * @param expandedPrompt the chat-templated text, image and frame placeholders expanded
 * @param imagesEncoded  tiles or frames run through the vision encoder
 * @param framesUsed     video frames sampled (0 for images)
 * @param timings        preprocess and encode seconds; the engine adds prefill and generate
 */
public record SmolVlmPrompt(String expandedPrompt, int[] ids, float[] imageFeatures, int imagesEncoded, int framesUsed,
                            StageTimings timings) {}

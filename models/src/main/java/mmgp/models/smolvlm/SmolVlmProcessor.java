package mmgp.models.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import mmgp.models.smolvlm.SmolVlmChatTemplate.ImageItem;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Item;
import mmgp.models.smolvlm.SmolVlmChatTemplate.Message;
import mmgp.models.smolvlm.SmolVlmChatTemplate.TextItem;
import mmgp.models.smolvlm.SmolVlmChatTemplate.VideoItem;
import mmgp.models.smolvlm.SmolVlmImageProcessor.Image;
import mmgp.models.smolvlm.SmolVlmVideoSampler.SampledVideo;

/**
 * transformers' {@code SmolVLMProcessor} (4.52.0.dev0) for one prompt: chat template, image and
 * video-frame preprocessing, {@code <image>} expansion and tokenization.
 *
 * <p>Each {@code <image>} in the prompt becomes, for an image split into rows × cols tiles,
 * {@code <fake_token_around_image><row_r_col_c>} + {@code <image>}×image_seq_len per tile (row-major,
 * a newline after each row), then {@code \n<fake_token_around_image><global-img>} +
 * {@code <image>}×image_seq_len + {@code <fake_token_around_image>}; an unsplit image or a video
 * frame gets just the global block. pixel_values hold the tiles in the same order, each image's
 * global image after its tiles.
 *
 * <p>A video item is replaced, before the template is rendered, by the intro line, then per
 * sampled frame {@code "\nFrame from mm:ss:"} and an image item, then {@code "\n\n"}; the frames
 * are preprocessed with {@code video_sampling.video_size} as size. Like the reference, a prompt
 * holds images or videos, not both. Unlike the reference (whose frame bookkeeping supports one
 * video per prompt), several videos are allowed: their frames follow each other in pixel_values,
 * and each intro uses its own video's duration.
 */
public final class SmolVlmProcessor {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Model inputs for one prompt. {@code prompt} is the text before image expansion,
     * {@code expandedPrompt} the text actually tokenized; {@code pixels} is null without images.
     */
    public record Inputs(String prompt, String expandedPrompt, int[] inputIds, SmolVlmImageProcessor.Result pixels,
                         List<SampledVideo> videos) {
        public Inputs {
            Objects.requireNonNull(prompt, "prompt");
            Objects.requireNonNull(expandedPrompt, "expandedPrompt");
            Objects.requireNonNull(inputIds, "inputIds");
            videos = List.copyOf(videos);
        }

        /** All ones: one unpadded sequence. */
        public int[] attentionMask() {
            int[] mask = new int[inputIds.length];
            Arrays.fill(mask, 1);
            return mask;
        }
    }

    private final Gpt2Tokenizer tokenizer;
    private final SmolVlmImageProcessor imageProcessor;
    private final SmolVlmVideoSampler videoSampler;
    private final SmolVlmChatTemplate chatTemplate;
    private final int imageSeqLen;
    private final String fakeImageToken;
    private final String imageToken;
    private final String globalImageToken;

    public SmolVlmProcessor(Gpt2Tokenizer tokenizer, SmolVlmImageProcessor imageProcessor,
                            SmolVlmVideoSampler videoSampler, SmolVlmChatTemplate chatTemplate, int imageSeqLen) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.imageProcessor = Objects.requireNonNull(imageProcessor, "imageProcessor");
        this.videoSampler = Objects.requireNonNull(videoSampler, "videoSampler");
        this.chatTemplate = Objects.requireNonNull(chatTemplate, "chatTemplate");
        if (imageSeqLen < 1) {
            throw new IllegalArgumentException("image_seq_len must be positive: " + imageSeqLen);
        }
        this.imageSeqLen = imageSeqLen;
        // getattr(tokenizer, "image_token", "<image>") etc.: extra_special_tokens may rename them.
        this.fakeImageToken = tokenizer.extraSpecialToken("fake_image_token", "<fake_token_around_image>");
        this.imageToken = tokenizer.extraSpecialToken("image_token", "<image>");
        this.globalImageToken = tokenizer.extraSpecialToken("global_image_token", "<global-img>");
        for (String token : List.of(fakeImageToken, imageToken, globalImageToken)) {
            if (!tokenizer.isAddedToken(token)) {
                throw new IllegalArgumentException("the tokenizer has no added token " + token);
            }
        }
    }

    /**
     * Loads a checkpoint folder: tokenizer files, preprocessor_config.json (image processor and
     * video_sampling, skip_secs 1 as apply_chat_template defaults), processor_config.json
     * (image_seq_len, default 169) and the chat template.
     */
    public static SmolVlmProcessor load(Path folder) throws IOException {
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.load(folder);
        SmolVlmImageProcessor imageProcessor = SmolVlmImageProcessor.load(folder);
        SmolVlmVideoSampler sampler = new SmolVlmVideoSampler(
                SmolVlmVideoSampler.Config.load(folder.resolve("preprocessor_config.json")), 1.0);
        int imageSeqLen = 169;
        Path processorConfig = folder.resolve("processor_config.json");
        if (Files.isRegularFile(processorConfig)) {
            JsonNode seqLen = JSON.readTree(processorConfig.toFile()).get("image_seq_len");
            if (seqLen != null) {
                if (!seqLen.canConvertToInt()) {
                    throw new IOException(processorConfig + ": image_seq_len is not an int: " + seqLen);
                }
                imageSeqLen = seqLen.intValue();
            }
        }
        return new SmolVlmProcessor(tokenizer, imageProcessor, sampler, SmolVlmChatTemplate.load(folder), imageSeqLen);
    }

    /** This processor with other video sampling (apply_chat_template's max_frames / target_fps / skip_secs). */
    public SmolVlmProcessor withVideoSampler(SmolVlmVideoSampler sampler) {
        return new SmolVlmProcessor(tokenizer, imageProcessor, sampler, chatTemplate, imageSeqLen);
    }

    // ---------------------------------------------------------------- entry points

    /** The prompt text of a conversation without videos (apply_chat_template with tokenize=False). */
    public String renderPrompt(List<Message> conversation, boolean addGenerationPrompt) {
        return chatTemplate.render(conversation, addGenerationPrompt);
    }

    /**
     * {@code apply_chat_template(conversation, add_generation_prompt, tokenize=True,
     * return_dict=True)}: videos sampled and expanded, the template rendered, then images or
     * frames preprocessed and the prompt expanded and tokenized.
     */
    public Inputs applyChatTemplate(List<Message> conversation, boolean addGenerationPrompt) throws IOException {
        List<Image> images = new ArrayList<>();
        List<SampledVideo> videos = new ArrayList<>();
        List<Message> expanded = new ArrayList<>(conversation.size());
        for (Message message : conversation) {
            List<Item> content = new ArrayList<>();
            for (Item item : message.content()) {
                switch (item) {
                    case VideoItem video -> {
                        SampledVideo sampled = videoSampler.sample(video.video());
                        videos.add(sampled);
                        content.addAll(videoItems(sampled));
                    }
                    case ImageItem image -> {
                        if (image.image() == null) {
                            throw new IllegalArgumentException("an image item has no image to process");
                        }
                        images.add(image.image());
                        content.add(image);
                    }
                    case TextItem text -> content.add(text);
                }
            }
            expanded.add(new Message(message.role(), content));
        }
        if (!images.isEmpty() && !videos.isEmpty()) {
            throw new IllegalArgumentException("a conversation can hold images or videos, not both (as in transformers)");
        }
        String prompt = chatTemplate.render(expanded, addGenerationPrompt);
        // A rendered prompt that already starts with BOS is tokenized without special tokens.
        boolean addSpecialTokens = tokenizer.bosToken() == null || !prompt.startsWith(tokenizer.bosToken());
        if (!videos.isEmpty()) {
            List<Image> frames = new ArrayList<>();
            videos.forEach(v -> frames.addAll(v.frames()));
            return process(prompt, frames, imageProcessor.preprocess(frames, videoSampler.config().videoSize()),
                    videos, addSpecialTokens);
        }
        return process(prompt, images, images.isEmpty() ? null : imageProcessor.preprocess(images), List.of(),
                addSpecialTokens);
    }

    /** {@code processor(text=text, images=images)}: one prompt whose {@code <image>} count matches the images. */
    public Inputs process(String text, List<Image> images) {
        return process(text, images, images.isEmpty() ? null : imageProcessor.preprocess(images), List.of(), true);
    }

    /**
     * {@code processor(text=text, videos=[frames])}: the prompt already holds one {@code <image>} per
     * frame (as {@link #applyChatTemplate} produces); frames are preprocessed at video_size.
     */
    public Inputs processVideoFrames(String text, List<Image> frames) {
        return process(text, frames, frames.isEmpty() ? null
                : imageProcessor.preprocess(frames, videoSampler.config().videoSize()), List.of(), true);
    }

    private Inputs process(String text, List<Image> images, SmolVlmImageProcessor.Result pixels,
                           List<SampledVideo> videos, boolean addSpecialTokens) {
        int inText = count(text, imageToken);
        if (inText != images.size()) {
            throw new IllegalArgumentException("The number of images in the text [" + inText
                    + "] and images [" + images.size() + "] should be the same.");
        }
        String expanded = pixels == null ? text : expandImageTokens(text, pixels.rows(), pixels.cols());
        return new Inputs(text, expanded, tokenizer.encode(expanded, addSpecialTokens), pixels, videos);
    }

    // ---------------------------------------------------------------- prompt building

    /** The content items a sampled video is replaced by (transformers' _process_messages_for_chat_template). */
    static List<Item> videoItems(SampledVideo video) {
        List<Item> items = new ArrayList<>();
        items.add(new TextItem(video.intro()));
        for (String timestamp : video.timestamps()) {
            items.add(new TextItem(String.format(SmolVlmVideoSampler.FRAME_TIMESTAMP, timestamp)));
            items.add(new ImageItem(null));
        }
        items.add(new TextItem(SmolVlmVideoSampler.MEDIA_OUTTRO));
        return items;
    }

    /** Replaces the i-th {@code <image>} by image i's expansion ({@code text.split(image_token)} and rejoin). */
    public String expandImageTokens(String text, int[] rows, int[] cols) {
        if (rows.length != cols.length) {
            throw new IllegalArgumentException("rows and cols differ in length");
        }
        StringBuilder out = new StringBuilder(text.length() + rows.length * imageSeqLen * imageToken.length());
        int from = 0;
        for (int i = 0; i < rows.length; i++) {
            int at = text.indexOf(imageToken, from);
            if (at < 0) {
                throw new IllegalArgumentException("the text has fewer than " + rows.length + " " + imageToken);
            }
            out.append(text, from, at).append(imagePromptString(rows[i], cols[i]));
            from = at + imageToken.length();
        }
        return out.append(text, from, text.length()).toString();
    }

    /** {@code get_image_prompt_string}: the split layout for rows × cols > 0, else the single global block. */
    public String imagePromptString(int rows, int cols) {
        String images = imageToken.repeat(imageSeqLen);
        String global = fakeImageToken + globalImageToken + images + fakeImageToken;
        if (rows == 0 && cols == 0) {
            return global;
        }
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out.append(fakeImageToken).append("<row_").append(r + 1).append("_col_").append(c + 1).append('>')
                        .append(images);
            }
            out.append('\n');
        }
        return out.append('\n').append(global).toString();
    }

    private static int count(String text, String token) {
        int n = 0;
        for (int at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + token.length())) {
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------- accessors

    public Gpt2Tokenizer tokenizer() {
        return tokenizer;
    }

    public SmolVlmImageProcessor imageProcessor() {
        return imageProcessor;
    }

    public SmolVlmVideoSampler videoSampler() {
        return videoSampler;
    }

    public int imageSeqLen() {
        return imageSeqLen;
    }

    /** Id of the {@code <image>} token the model replaces by image features. */
    public int imageTokenId() {
        return tokenizer.tokenToId(imageToken);
    }
}

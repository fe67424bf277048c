package mmgp.models.smolvlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The SmolVLM2 chat template, rendered without a Jinja engine. The checkpoint's template text
 * must be one of the known SmolVLM2 templates ({@link #TEMPLATE}, or {@link #TEMPLATE_WITH_VIDEO}
 * which transformers later made the default); anything else is rejected with the first
 * difference, because this class only implements that exact template:
 *
 * <pre>
 * &lt;|im_start|&gt; then per message: Role (capitalized) + ':' if its first item is an image, else ': ';
 * each text item verbatim, each image item '&lt;image&gt;'; then '&lt;end_of_utterance&gt;\n'.
 * With add_generation_prompt: 'Assistant:'.
 * </pre>
 *
 * Video items are not rendered: {@link SmolVlmProcessor} first replaces each by its frame
 * timestamps and image items, as transformers' {@code _process_messages_for_chat_template} does.
 */
public final class SmolVlmChatTemplate {

    /** chat_template.json of HuggingFaceTB/SmolVLM2-*-Video-Instruct. */
    public static final String TEMPLATE = "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
            + "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
            + "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
            + "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
            + "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

    /**
     * transformers' later {@code DEFAULT_CHAT_TEMPLATE}: the same plus a branch printing
     * {@code <video>} for unexpanded video items, which never reach rendering here.
     */
    public static final String TEMPLATE_WITH_VIDEO = TEMPLATE.replace(
            "{{ '<image>' }}{% endif %}", "{{ '<image>' }}{% elif line['type'] == 'video' %}{{ '<video>' }}{% endif %}");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One chat turn. */
    public record Message(String role, List<Item> content) {
        public Message {
            Objects.requireNonNull(role, "role");
            content = List.copyOf(content);
        }

        public static Message user(Item... items) {
            return new Message("user", List.of(items));
        }

        public static Message assistant(Item... items) {
            return new Message("assistant", List.of(items));
        }
    }

    /** A content item of a message. */
    public sealed interface Item permits TextItem, ImageItem, VideoItem {
        static TextItem text(String text) {
            return new TextItem(text);
        }

        static ImageItem image(SmolVlmImageProcessor.Image image) {
            return new ImageItem(image);
        }

        static VideoItem video(SmolVlmVideoSampler.Video video) {
            return new VideoItem(video);
        }
    }

    public record TextItem(String text) implements Item {
        public TextItem {
            Objects.requireNonNull(text, "text");
        }
    }

    /** An image; {@code image} may be null when only rendering the prompt text. */
    public record ImageItem(SmolVlmImageProcessor.Image image) implements Item {}

    public record VideoItem(SmolVlmVideoSampler.Video video) implements Item {
        public VideoItem {
            Objects.requireNonNull(video, "video");
        }
    }

    private SmolVlmChatTemplate() {}

    /** The renderer, after checking {@code templateText} is a template this class implements. */
    public static SmolVlmChatTemplate of(String templateText) {
        Objects.requireNonNull(templateText, "templateText");
        if (!templateText.equals(TEMPLATE) && !templateText.equals(TEMPLATE_WITH_VIDEO)) {
            throw new IllegalArgumentException("unsupported chat template: " + firstDifference(templateText, TEMPLATE));
        }
        return new SmolVlmChatTemplate();
    }

    /**
     * Loads the template the way the processor finds it: chat_template.jinja (newer saves), else
     * chat_template.json, else the {@code chat_template} field of processor_config.json or
     * tokenizer_config.json.
     */
    public static SmolVlmChatTemplate load(Path folder) throws IOException {
        Path jinja = folder.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            return of(Files.readString(jinja, StandardCharsets.UTF_8));
        }
        for (String file : List.of("chat_template.json", "processor_config.json", "tokenizer_config.json")) {
            Path path = folder.resolve(file);
            if (Files.isRegularFile(path)) {
                JsonNode template = JSON.readTree(path.toFile()).get("chat_template");
                if (template != null && template.isTextual()) {
                    return of(template.textValue());
                }
            }
        }
        throw new IOException(folder + ": no chat_template in chat_template.json, processor_config.json or tokenizer_config.json");
    }

    /** The prompt text for {@code messages} (transformers' apply_chat_template with tokenize=False). */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        StringBuilder out = new StringBuilder("<|im_start|>");
        for (Message message : messages) {
            if (message.content().isEmpty()) {
                // message['content'][0] is undefined: Jinja raises there too.
                throw new IllegalArgumentException("a message needs at least one content item: " + message.role());
            }
            out.append(capitalize(message.role()));
            out.append(message.content().get(0) instanceof ImageItem ? ":" : ": ");
            for (Item item : message.content()) {
                switch (item) {
                    case TextItem text -> out.append(text.text());
                    case ImageItem image -> out.append("<image>");
                    case VideoItem video -> throw new IllegalArgumentException(
                            "video items must be expanded into frames first (SmolVlmProcessor does this)");
                }
            }
            out.append("<end_of_utterance>\n");
        }
        if (addGenerationPrompt) {
            out.append("Assistant:");
        }
        return out.toString();
    }

    /** Jinja's {@code capitalize}: first character upper (title) case, the rest lower case. */
    static String capitalize(String text) {
        if (text.isEmpty()) {
            return text;
        }
        int first = text.codePointAt(0);
        return new StringBuilder().appendCodePoint(Character.toTitleCase(first))
                .append(text.substring(Character.charCount(first)).toLowerCase(Locale.ROOT)).toString();
    }

    private static String firstDifference(String actual, String expected) {
        int i = 0;
        while (i < actual.length() && i < expected.length() && actual.charAt(i) == expected.charAt(i)) {
            i++;
        }
        return "differs from the SmolVLM2 template at character " + i + ": got \""
                + snippet(actual, i) + "\", expected \"" + snippet(expected, i) + "\"";
    }

    private static String snippet(String text, int at) {
        int end = Math.min(text.length(), at + 40);
        return at >= text.length() ? "<end>" : text.substring(at, end).replace("\n", "\\n");
    }
}

package mmgp.models.amused;

import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts normalized text into the words BPE runs on, with CLIP's regex
 * {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}
 * (Python {@code regex} module, IGNORECASE). Pure-ASCII text, the usual prompt, takes a
 * hand-written scanner with the same semantics, several times faster than the regex.
 */
final class ClipWordSplitter {

    private static final String START_OF_TEXT = "<|startoftext|>";
    private static final String END_OF_TEXT = "<|endoftext|>";

    // Under IGNORECASE the `regex` module's negated class also rejects U+0345, whose case variants
    // are letters, while [\p{L}] does not accept it: the reference silently drops U+0345, so it is
    // excluded here explicitly. Everything else agrees code point by code point.
    private static final Pattern WORD_PATTERN = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}\\x{345}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    private ClipWordSplitter() {}

    /** Passes each word of {@code text} (output of {@link ClipTextNormalizer#normalize}) to {@code sink}. */
    static void forEachWord(String text, Consumer<String> sink) {
        if (isAscii(text)) {
            splitAscii(text, sink);
        } else {
            splitWithRegex(text, sink);
        }
    }

    static void splitWithRegex(String text, Consumer<String> sink) {
        Matcher matcher = WORD_PATTERN.matcher(text);
        while (matcher.find()) {
            sink.accept(matcher.group());
        }
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** The regex restricted to ASCII: \p{L} is [A-Za-z], \p{N} is [0-9], alternatives tried in order. */
    static void splitAscii(String text, Consumer<String> sink) {
        int length = text.length();
        int i = 0;
        while (i < length) {
            char c = text.charAt(i);
            int end;
            if (isAsciiSpace(c)) {
                i++;
                continue;
            } else if (startsWithIgnoringCase(text, i, START_OF_TEXT)) {
                end = i + START_OF_TEXT.length();
            } else if (startsWithIgnoringCase(text, i, END_OF_TEXT)) {
                end = i + END_OF_TEXT.length();
            } else if (c == '\'' && contractionLength(text, i) > 0) {
                end = i + contractionLength(text, i);
            } else if (isAsciiLetter(c)) {
                end = i + 1;
                while (end < length && isAsciiLetter(text.charAt(end))) {
                    end++;
                }
            } else if (c >= '0' && c <= '9') {
                end = i + 1;
            } else {
                end = i + 1;
                while (end < length && isAsciiSymbol(text.charAt(end))) {
                    end++;
                }
            }
            sink.accept(text.substring(i, end));
            i = end;
        }
    }

    /** Length of the contraction ('s 't 're 've 'm 'll 'd, in the regex's order) at {@code i}, else 0. */
    private static int contractionLength(String text, int i) {
        for (String contraction : new String[] {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}) {
            if (startsWithIgnoringCase(text, i, contraction)) {
                return contraction.length();
            }
        }
        return 0;
    }

    private static boolean startsWithIgnoringCase(String text, int offset, String prefix) {
        return text.regionMatches(true, offset, prefix, 0, prefix.length());
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /** \s (Unicode White_Space) on ASCII; normalized text only has ' ', the rest for completeness. */
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    private static boolean isAsciiSymbol(char c) {
        return !isAsciiSpace(c) && !isAsciiLetter(c) && !(c >= '0' && c <= '9');
    }
}

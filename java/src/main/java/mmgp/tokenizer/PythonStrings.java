package mmgp.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's whitespace rules for {@code str}, which the reference tokenizers apply with {@code strip()},
 * {@code split()} and {@code isspace()}; Java's {@link Character#isWhitespace} differs from them
 * (e.g. for U+00A0 and U+001C..U+001F).
 */
public final class PythonStrings {

    private PythonStrings() {}

    /** {@code str.isspace()} for one code point: bidi class WS, B or S, or category Zs. */
    public static boolean isSpace(int cp) {
        if (Character.getType(cp) == Character.SPACE_SEPARATOR) {
            return true;
        }
        byte direction = Character.getDirectionality(cp);
        return direction == Character.DIRECTIONALITY_WHITESPACE
                || direction == Character.DIRECTIONALITY_PARAGRAPH_SEPARATOR
                || direction == Character.DIRECTIONALITY_SEGMENT_SEPARATOR;
    }

    /** {@code str.strip()} with no argument. */
    public static String strip(String text) {
        return strip(text, true, true);
    }

    /** {@code str.lstrip()} when {@code leading}, {@code str.rstrip()} when {@code trailing}, both when both. */
    public static String strip(String text, boolean leading, boolean trailing) {
        int start = 0;
        int end = text.length();
        while (leading && start < end && isSpace(text.codePointAt(start))) {
            start += Character.charCount(text.codePointAt(start));
        }
        while (trailing && end > start && isSpace(text.codePointBefore(end))) {
            end -= Character.charCount(text.codePointBefore(end));
        }
        return text.substring(start, end);
    }

    /** {@code str.split()} with no argument: runs of {@link #isSpace} separate words, none of them empty. */
    public static List<String> split(CharSequence text) {
        List<String> words = new ArrayList<>(2);
        int wordStart = -1;
        for (int i = 0; i < text.length(); ) {
            int cp = Character.codePointAt(text, i);
            if (isSpace(cp)) {
                if (wordStart >= 0) {
                    words.add(text.subSequence(wordStart, i).toString());
                    wordStart = -1;
                }
            } else if (wordStart < 0) {
                wordStart = i;
            }
            i += Character.charCount(cp);
        }
        if (wordStart >= 0) {
            words.add(text.subSequence(wordStart, text.length()).toString());
        }
        return words;
    }
}

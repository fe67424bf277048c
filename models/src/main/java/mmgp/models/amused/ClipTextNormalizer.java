package mmgp.models.amused;

import java.text.Normalizer;
import mmgp.tokenizer.PythonStrings;

/**
 * The text cleanup transformers' slow {@code CLIPTokenizer} applies when ftfy is not installed:
 * {@code " ".join(BasicTokenizer(strip_accents=False, do_split_on_punc=False).tokenize(text))}.
 * That is: drop NUL, U+FFFD and control/format/unassigned characters, turn Unicode spaces into
 * ' ', put spaces around CJK ideographs, NFC-normalise, split on whitespace, lowercase each word
 * and rejoin with single spaces. Accents are kept (strip_accents=False) and punctuation is not
 * split here (the CLIP regex does that afterwards).
 */
final class ClipTextNormalizer {

    private ClipTextNormalizer() {}

    static String normalize(String text) {
        return isAscii(text) ? normalizeAscii(text) : normalizeUnicode(text);
    }

    /** The general path; correct for ASCII too, where the fast path must agree with it. */
    static String normalizeUnicode(String text) {
        StringBuilder cleaned = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                continue;
            }
            if (isBertWhitespace(cp)) {
                cleaned.append(' ');
            } else if (isCjkIdeograph(cp)) {
                cleaned.append(' ').appendCodePoint(cp).append(' ');
            } else {
                cleaned.appendCodePoint(cp);
            }
        }
        String composed = Normalizer.normalize(cleaned, Normalizer.Form.NFC);
        StringBuilder lowered = new StringBuilder(composed.length());
        for (String word : PythonStrings.split(composed)) {
            lowered.append(pythonLower(word)).append(' ');
        }
        // BasicTokenizer splits once more after lowercasing; lowercasing never creates whitespace,
        // so joining the words is the same.
        return String.join(" ", PythonStrings.split(lowered));
    }

    /**
     * {@link #normalize} for ASCII input: NFC and the CJK rule cannot apply, the only whitespace
     * left after dropping control characters is ' ', and lowercasing is A-Z to a-z.
     */
    static String normalizeAscii(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pendingSpace = true;
            } else if (c >= 0x20 && c != 0x7F) { // other C0 controls and DEL are dropped
                if (pendingSpace && !out.isEmpty()) {
                    out.append(' ');
                }
                pendingSpace = false;
                out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
            }
        }
        return out.toString();
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * Python's {@code str.lower()}. Java's {@code toLowerCase(Locale.ROOT)} agrees except for
     * capital sigma, where Java looks for a cased letter only inside the same word-break segment
     * while Python applies Unicode's Final_Sigma context (e.g. "ⓐΣ" lowers to "ⓐς" in Python).
     */
    static String pythonLower(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (cp == 0x130) {
                out.append("i\u0307"); // SpecialCasing: İ has a two-character lowercase
            } else if (cp == 0x3A3) {
                out.append(isFinalSigma(text, i) ? '\u03C2' : '\u03C3');
            } else {
                out.appendCodePoint(Character.toLowerCase(cp));
            }
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /** Final_Sigma: cased (case-ignorable)* before, and not (case-ignorable)* cased after. */
    private static boolean isFinalSigma(String text, int sigmaIndex) {
        int before = sigmaIndex;
        int previous = -1;
        while (before > 0) {
            previous = text.codePointBefore(before);
            before -= Character.charCount(previous);
            if (!isCaseIgnorable(previous)) {
                break;
            }
            previous = -1;
        }
        if (previous < 0 || !isCased(previous)) {
            return false;
        }
        for (int after = sigmaIndex + 1; after < text.length(); ) {
            int next = text.codePointAt(after);
            if (!isCaseIgnorable(next)) {
                return !isCased(next);
            }
            after += Character.charCount(next);
        }
        return true;
    }

    /** Unicode Cased: Lu, Ll, Lt, Other_Uppercase or Other_Lowercase (Java's isUpper/LowerCase include the latter). */
    private static boolean isCased(int cp) {
        return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    /** Unicode Case_Ignorable: Mn, Me, Cf, Lm, Sk, or word-break MidLetter, MidNumLet or Single_Quote. */
    private static boolean isCaseIgnorable(int cp) {
        switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT,
                 Character.MODIFIER_LETTER, Character.MODIFIER_SYMBOL -> {
                return true;
            }
            default -> {
                return switch (cp) {
                    case '\'', '.', ':', 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027,
                         0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A -> true;
                    default -> false;
                };
            }
        }
    }

    /** transformers' {@code _is_whitespace}: space, tab, newline, carriage return or category Zs. */
    private static boolean isBertWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r'
                || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** transformers' {@code _is_control}: any category C* except tab, newline and carriage return. */
    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                || type == Character.SURROGATE || type == Character.UNASSIGNED;
    }

    /** The CJK blocks BasicTokenizer surrounds with spaces (not Hangul, Hiragana or Katakana). */
    private static boolean isCjkIdeograph(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}

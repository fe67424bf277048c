package mmgp.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * GPT-2/CLIP {@code bytes_to_unicode}: a reversible map from each of the 256 byte values to one
 * printable character, so BPE can run on strings without whitespace or control characters.
 * Printable Latin-1 bytes map to themselves; the other 68 bytes, in increasing order, map to
 * U+0100, U+0101, ... Every character of the alphabet is in the BMP (below U+0144).
 */
public final class ByteLevelAlphabet {

    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR; // indexed by char; -1 outside the alphabet

    static {
        int nextShifted = 0;
        int highestChar = 0;
        for (int b = 0; b < 256; b++) {
            char c = isPrintable(b) ? (char) b : (char) (256 + nextShifted++);
            CHAR_OF_BYTE[b] = c;
            highestChar = Math.max(highestChar, c);
        }
        BYTE_OF_CHAR = new int[highestChar + 1];
        Arrays.fill(BYTE_OF_CHAR, -1);
        for (int b = 0; b < 256; b++) {
            BYTE_OF_CHAR[CHAR_OF_BYTE[b]] = b;
        }
    }

    private ByteLevelAlphabet() {}

    private static boolean isPrintable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The UTF-8 bytes of {@code text}, one alphabet character per byte. */
    public static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * Inverse of {@link #encode}. A character outside the alphabet (possible only in an added
     * token's text) contributes its own UTF-8 bytes instead of failing, as it would in transformers.
     */
    public static byte[] decode(CharSequence symbols) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(symbols.length());
        for (int i = 0; i < symbols.length(); i++) {
            char c = symbols.charAt(i);
            int b = c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                int end = Character.isHighSurrogate(c) && i + 1 < symbols.length()
                        && Character.isLowSurrogate(symbols.charAt(i + 1)) ? i + 2 : i + 1;
                out.writeBytes(symbols.subSequence(i, end).toString().getBytes(StandardCharsets.UTF_8));
                i = end - 1;
            }
        }
        return out.toByteArray();
    }

    /**
     * Decodes UTF-8 the way Python's {@code bytes.decode("utf-8", errors="replace")} does: each
     * maximal invalid subpart becomes one U+FFFD. Java's own decoder differs on some sequences
     * (e.g. it turns the encoded surrogate ED A0 80 into one U+FFFD where Python gives three).
     */
    public static String decodeUtf8Replacing(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length);
        int i = 0;
        while (i < bytes.length) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                text.append((char) lead);
                i++;
                continue;
            }
            int length;
            int codePoint;
            int secondMin = 0x80;
            int secondMax = 0xBF;
            if (lead >= 0xC2 && lead <= 0xDF) {
                length = 2;
                codePoint = lead & 0x1F;
            } else if (lead >= 0xE0 && lead <= 0xEF) {
                length = 3;
                codePoint = lead & 0x0F;
                if (lead == 0xE0) {
                    secondMin = 0xA0; // no overlong forms
                } else if (lead == 0xED) {
                    secondMax = 0x9F; // no surrogates
                }
            } else if (lead >= 0xF0 && lead <= 0xF4) {
                length = 4;
                codePoint = lead & 0x07;
                if (lead == 0xF0) {
                    secondMin = 0x90;
                } else if (lead == 0xF4) {
                    secondMax = 0x8F; // nothing above U+10FFFF
                }
            } else {
                text.append('\uFFFD'); // a continuation byte or a byte that never starts a sequence
                i++;
                continue;
            }
            int consumed = 1;
            while (consumed < length && i + consumed < bytes.length) {
                int next = bytes[i + consumed] & 0xFF;
                int min = consumed == 1 ? secondMin : 0x80;
                int max = consumed == 1 ? secondMax : 0xBF;
                if (next < min || next > max) {
                    break;
                }
                codePoint = (codePoint << 6) | (next & 0x3F);
                consumed++;
            }
            if (consumed == length) {
                text.appendCodePoint(codePoint);
            } else {
                text.append('\uFFFD'); // the valid prefix so far is one maximal subpart
            }
            i += consumed;
        }
        return text.toString();
    }

    /**
     * Text of decoded tokens as transformers' slow {@code _decode} builds it with
     * spaces_between_special_tokens: each run of byte-level symbols becomes text through
     * {@code symbolsToText}, a token for which {@code standalone} holds (an added token) stays a piece of
     * its own, empty runs between such tokens are dropped, and the pieces are joined with single spaces.
     */
    public static String joinDecoded(List<String> tokens, Predicate<String> standalone,
                                     Function<CharSequence, String> symbolsToText) {
        List<String> pieces = new ArrayList<>();
        StringBuilder symbols = new StringBuilder();
        for (String token : tokens) {
            if (standalone.test(token)) {
                if (!symbols.isEmpty()) {
                    String text = symbolsToText.apply(symbols);
                    if (!text.isEmpty()) {
                        pieces.add(text);
                    }
                    symbols.setLength(0);
                }
                pieces.add(token);
            } else {
                symbols.append(token);
            }
        }
        if (!symbols.isEmpty()) {
            pieces.add(symbolsToText.apply(symbols));
        }
        return String.join(" ", pieces);
    }
}

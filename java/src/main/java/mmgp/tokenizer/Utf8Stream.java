package mmgp.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Incremental UTF-8 decoding of token bytes for streamed text. A byte-level BPE token may end in the
 * middle of a character (an emoji or a CJK character is often two or three tokens), so decoding each
 * token's bytes on its own would emit replacement characters for text that is valid as a whole. This
 * holds an incomplete character back until its last byte arrives; malformed bytes become U+FFFD. The
 * pieces concatenate to what decoding all bytes at once gives.
 */
public final class Utf8Stream {

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(16);

    /** Adds a token's bytes; returns the text they complete (possibly empty). */
    public String push(byte[] bytes) {
        if (pending.remaining() < bytes.length) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(2 * pending.capacity(), pending.position() + bytes.length));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(bytes);
        return drain(false);
    }

    /** Whatever is still held back (an incomplete character at the end becomes U+FFFD); the stream can then be reused. */
    public String finish() {
        String tail = drain(true);
        CharBuffer out = CharBuffer.allocate(4);
        decoder.flush(out);
        decoder.reset();
        return tail + out.flip();
    }

    private String drain(boolean endOfInput) {
        pending.flip();
        CharBuffer out = CharBuffer.allocate(pending.remaining() + 1);
        decoder.decode(pending, out, endOfInput);
        pending.compact();
        return out.flip().toString();
    }
}

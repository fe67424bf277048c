package mmgp.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the body of a JSON route: {@code application/json} (or {@code application/*+json}) in
 * UTF-8, or no Content-Type at all (clients that send none mean JSON); any other media type is a
 * 415, a body that is not UTF-8 a 400, one above {@link #MAX_BYTES} a 413.
 */
final class JsonBodies {
    /** Largest JSON request body; uploads have their own, much larger limit. */
    static final int MAX_BYTES = 1 << 20;

    private JsonBodies() {}

    /**
     * The body as text. Read here rather than with ctx.body(): Javalin's size limit looks only at
     * Content-Length, so a chunked body of any size would be read into memory whole.
     */
    static String read(Context ctx) throws IOException {
        requireJsonType(ctx.contentType());
        if (ctx.req().getContentLengthLong() > MAX_BYTES) throw tooLarge();
        byte[] bytes;
        try (InputStream in = ctx.req().getInputStream()) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException | RuntimeException e) {
            throw BodyReadErrors.translate(e, "the JSON body");
        }
        if (bytes.length > MAX_BYTES) throw tooLarge();
        return utf8(bytes, "body");
    }

    /** A 415 unless {@code contentType} is absent or JSON in UTF-8. */
    static void requireJsonType(String contentType) {
        if (contentType == null || contentType.isBlank()) return;
        String[] parts = contentType.toLowerCase(Locale.ROOT).split(";");
        String type = parts[0].strip();
        boolean json = type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
        if (!json) throw new ApiException(415, "unsupported_media_type", "send the body as application/json (got " + contentType + ")", null, 0);
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].strip();
            if (p.startsWith("charset=") && !p.substring(8).replace("\"", "").equals("utf-8")) {
                throw new ApiException(415, "unsupported_media_type", "JSON bodies are UTF-8 (got " + contentType + ")", null, 0);
            }
        }
    }

    /** {@code bytes} as UTF-8; a 400 naming {@code field} when they are not valid UTF-8 (instead of silently replacing them). */
    static String utf8(byte[] bytes, String field) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest(field, field + " is not valid UTF-8");
        }
    }

    private static ApiException tooLarge() {
        return ApiException.tooLarge("the JSON body is larger than " + MAX_BYTES + " bytes");
    }
}

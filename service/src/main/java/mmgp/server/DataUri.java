package mmgp.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.Locale;

/**
 * An image or video sent inline as {@code data:<type>;base64,<bytes>}, the one way the /v1
 * routes take media: the server never fetches a URL a request names (that would let any caller
 * make it reach hosts on its network), so an http(s) URL is refused with a hint.
 *
 * <p>The base64 is strict: whitespace (line breaks of MIME-style encoders) is skipped, anything
 * else outside the alphabet is a 400. The standard alphabet is read, or else the URL-safe one
 * ({@code -} and {@code _}), not a mix. It is decoded straight from the request's string, without
 * copying it, into exactly as many bytes as it holds, after checking that these are at most the
 * inline-media limit.
 */
record DataUri(String mediaType, byte[] bytes) {
    /** Decodes {@code url} of the request field {@code param}; 400 for anything but a base64 data URI, 413 above {@code maxBytes}. */
    static DataUri parse(String url, String param, long maxBytes) {
        if (url == null || url.isBlank()) throw ApiException.badRequest(param, param + " is required");
        if (!url.regionMatches(true, 0, "data:", 0, 5)) {
            boolean remote = url.regionMatches(true, 0, "http://", 0, 7) || url.regionMatches(true, 0, "https://", 0, 8);
            throw ApiException.badRequest(param, (remote ? "this server does not fetch URLs; " : param + " must be a data URI; ")
                    + "send the file inline as data:<type>;base64,<bytes> (e.g. data:image/png;base64,iVBOR...)");
        }
        int comma = url.indexOf(',');
        if (comma < 0) throw ApiException.badRequest(param, param + " is a data URI without a comma before its data");
        String header = url.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!header.endsWith(";base64")) throw ApiException.badRequest(param, param + " must be base64-encoded (data:<type>;base64,...)");
        String type = header.substring(0, header.length() - ";base64".length());
        int semicolon = type.indexOf(';'); // parameters such as ;charset= say nothing about the bytes
        if (semicolon >= 0) type = type.substring(0, semicolon);
        return new DataUri(type, decode(url, comma + 1, param, maxBytes));
    }

    /** The base64 in {@code s} from {@code from} on, decoded. */
    static byte[] decode(String s, int from, String param, long maxBytes) {
        long chars = 0;
        int padding = 0;
        boolean standard = false, urlSafe = false;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isSpace(c)) continue;
            chars++;
            if (c == '=') padding++;
            else if (c == '+' || c == '/') standard = true;
            else if (c == '-' || c == '_') urlSafe = true;
        }
        if (chars == 0) throw ApiException.badRequest(param, param + " holds no data");
        if (standard && urlSafe) throw invalid(param, "it mixes the standard (+ /) and URL-safe (- _) alphabets");
        if (padding > 2) throw invalid(param, "it has more than two '=' of padding");
        long length = chars / 4 * 3 + switch ((int) (chars % 4)) {
            case 0 -> 0;
            case 2 -> 1;
            case 3 -> 2;
            default -> throw invalid(param, "its length (" + chars + " characters) cannot be base64");
        } - (chars % 4 == 0 ? padding : 0);
        if (length > maxBytes) {
            throw new ApiException(413, "payload_too_large", param + " holds " + length + " bytes; inline media may be at most " + maxBytes + " bytes", param, 0);
        }
        if (length <= 0) throw ApiException.badRequest(param, param + " holds no data");
        Base64.Decoder decoder = urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder();
        byte[] out = new byte[(int) length];
        try (InputStream in = decoder.wrap(new Chars(s, from))) {
            int n = in.readNBytes(out, 0, out.length);
            if (n != out.length || in.read() != -1) throw invalid(param, "it is not well-formed");
        } catch (IOException | IllegalArgumentException e) {
            throw invalid(param, e.getMessage());
        }
        return out;
    }

    private static ApiException invalid(String param, String why) {
        return ApiException.badRequest(param, param + " is not valid base64: " + why);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\n' || c == '\r' || c == '\t';
    }

    static String encode(String mediaType, byte[] bytes) {
        return "data:" + mediaType + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    /** The characters of a string from an offset on as bytes, whitespace skipped; a non-ASCII character becomes an invalid byte. */
    private static final class Chars extends InputStream {
        private final String s;
        private int at;

        Chars(String s, int from) {
            this.s = s;
            this.at = from;
        }

        @Override
        public int read() {
            while (at < s.length()) {
                char c = s.charAt(at++);
                if (!isSpace(c)) return c < 128 ? c : '!';
            }
            return -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) return 0;
            int n = 0;
            while (n < len && at < s.length()) {
                char c = s.charAt(at++);
                if (!isSpace(c)) b[off + n++] = (byte) (c < 128 ? c : '!');
            }
            return n == 0 ? -1 : n;
        }
    }
}

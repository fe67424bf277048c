package mmgp.server;

import java.util.Base64;
import java.util.Locale;

/**
 * An image or video sent inline as {@code data:<type>;base64,<bytes>}, the one way the /v1
 * routes take media: the server never fetches a URL a request names (that would let any caller
 * make it reach hosts on its network), so an http(s) URL is refused with a hint.
 */
record DataUri(String mediaType, byte[] bytes) {
    /** Decodes {@code url} of the request field {@code param}; 400 for anything but a base64 data URI. */
    static DataUri parse(String url, String param) {
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
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(url.substring(comma + 1));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(param, param + " is not valid base64: " + e.getMessage());
        }
        if (bytes.length == 0) throw ApiException.badRequest(param, param + " holds no data");
        return new DataUri(type, bytes);
    }

    static String encode(String mediaType, byte[] bytes) {
        return "data:" + mediaType + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }
}

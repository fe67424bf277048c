package mmgp.server;

import java.util.Locale;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.BadMessageException;

/**
 * What went wrong while a request body was read, as the API's JSON errors: a body that stalled or
 * trickled (408), one larger than the limits (413), a malformed or truncated one (400). Never a
 * 500: none of these is the server's fault.
 */
final class BodyReadErrors {
    private BodyReadErrors() {}

    static ApiException translate(Exception e) {
        return translate(e, "the multipart form");
    }

    /** As {@link #translate(Exception)}, naming what was being read ("the JSON body") in a 400. */
    static ApiException translate(Exception e, String what) {
        if (e instanceof ApiException a) return a;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || (t instanceof BadMessageException b && b.getCode() == 408)
                    || lower(t).contains("idle timeout") || lower(t).contains("data rate")) {
                return new ApiException(408, "request_timeout", "the request body arrived too slowly or stalled; the server stopped waiting for it", null, 0);
            }
            String m = lower(t);
            if (m.contains("exceeds max") || m.contains("too large") || m.contains("max file size") || m.contains("maxrequestsize")
                    || m.contains("larger than max")) {
                return ApiException.tooLarge("upload is larger than this server accepts (--max-upload-mb)");
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.eclipse.jetty.io.EofException || lower(t).contains("early eof")) {
                return ApiException.badRequest("body", "the request body ended before its announced length (connection closed early?)");
            }
        }
        return ApiException.badRequest("body", "could not read " + what + ": " + firstMessage(e));
    }

    /** The first message down the cause chain (a servlet wrapper often has none of its own). */
    private static String firstMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t.getMessage() != null && !t.getMessage().isBlank()) return t.getMessage();
        return e.getClass().getSimpleName();
    }

    private static String lower(Throwable t) {
        return t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
    }
}

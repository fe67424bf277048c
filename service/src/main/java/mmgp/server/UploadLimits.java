package mmgp.server;

import java.util.Locale;

/** Turns the servlet container's multipart size refusals into the API's 413. */
final class UploadLimits {
    /** Room for the form's text fields and multipart boundaries on top of the file itself. */
    static final long FORM_OVERHEAD_BYTES = 1L << 20;

    private UploadLimits() {}

    static ApiException tooLarge(long maxBytes) {
        return ApiException.tooLarge("upload is larger than this server's limit of " + mib(maxBytes) + " MiB (--max-upload-mb)");
    }

    /** A 413 when {@code e} is Jetty's "exceeds max filesize / request size", a 408 for a stalled body, else a 400 about the form. */
    static ApiException translate(Exception e) {
        return BodyReadErrors.translate(e);
    }

    private static String mib(long bytes) {
        return bytes % (1 << 20) == 0 ? Long.toString(bytes >> 20) : String.format(Locale.ROOT, "%.2f", bytes / 1048576.0);
    }
}

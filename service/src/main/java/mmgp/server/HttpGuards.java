package mmgp.server;

import java.time.Duration;

/**
 * How the HTTP side protects itself from slow or many clients: a connection that sends nothing
 * for {@code idleTimeout} (a stalled body) is answered 408 and closed; a body arriving slower than
 * {@code minBodyBytesPerSecond} is answered 408; one key may upload at most {@code uploadsPerKey}
 * files at once (429); and {@code uploads} checks each uploaded video before its 202.
 */
record HttpGuards(Duration idleTimeout, int minBodyBytesPerSecond, int uploadsPerKey, UploadProbe uploads) {
    /** Above the event streams' 15 s keep-alive, so a quiet stream is never cut. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
    static final int MIN_BODY_BYTES_PER_SECOND = 1024;
    static final int UPLOADS_PER_KEY = 4;

    static HttpGuards defaults() {
        return new HttpGuards(IDLE_TIMEOUT, MIN_BODY_BYTES_PER_SECOND, UPLOADS_PER_KEY, UploadProbe.FFMPEG);
    }

    HttpGuards withIdleTimeout(Duration d) {
        return new HttpGuards(d, minBodyBytesPerSecond, uploadsPerKey, uploads);
    }

    HttpGuards withUploads(UploadProbe p) {
        return new HttpGuards(idleTimeout, minBodyBytesPerSecond, uploadsPerKey, p);
    }

    HttpGuards withUploadsPerKey(int n) {
        return new HttpGuards(idleTimeout, minBodyBytesPerSecond, n, uploads);
    }
}

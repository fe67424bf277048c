package mmgp.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * Request bodies read with a bound. Read here rather than with ctx.body(): Javalin's size limit
 * looks only at Content-Length, so a chunked body of any size would be read into memory whole.
 */
final class Bodies {
    private Bodies() {}

    /**
     * The body as a stream for a parser to read without a copy; reading past {@code max} bytes
     * fails with an IOException, after which {@link Bounded#exceeded()} is true.
     */
    static Bounded stream(Context ctx, long max, Supplier<ApiException> tooLarge) throws IOException {
        if (ctx.req().getContentLengthLong() > max) throw tooLarge.get();
        return new Bounded(ctx.req().getInputStream(), max);
    }

    /** At most 64 characters of {@code s}, for quoting a client's value in an error. */
    static String abbreviate(String s) {
        return abbreviate(s, 64);
    }

    static String abbreviate(String s, int max) {
        return s.length() > max ? s.substring(0, max) + "…" : s;
    }

    static final class Bounded extends InputStream {
        private final InputStream in;
        private long left;
        private boolean exceeded;

        Bounded(InputStream in, long max) {
            this.in = in;
            this.left = max;
        }

        boolean exceeded() {
            return exceeded;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            int n = in.read(b, off, (int) Math.min(len, left + 1));
            if (n > 0) {
                left -= n;
                if (left < 0) {
                    exceeded = true;
                    throw new IOException("the body is larger than allowed");
                }
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}

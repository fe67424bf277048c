package mmgp.server;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Bounds the multipart uploads one API key sends at once: each holds a connection and spills to
 * disk while it arrives, so one key opening hundreds of slow uploads would tie the server up.
 * Above the bound the upload is refused (429) before its body is read.
 */
final class UploadSlots {
    private final int perKey;
    private final ConcurrentMap<String, Integer> open = new ConcurrentHashMap<>();

    UploadSlots(int perKey) {
        this.perKey = perKey;
    }

    /** {@code route} with a slot of the caller's key held while it runs, for multipart requests (JSON ones pass as they are). */
    Handler guard(Handler route) {
        return ctx -> {
            if (!isMultipart(ctx)) {
                route.handle(ctx);
                return;
            }
            String key = keyId(ctx);
            if (!tryTake(key)) {
                throw ApiException.tooMany("too_many_uploads", "this API key already has " + perKey + " uploads in progress; wait for one to finish", 2);
            }
            try {
                route.handle(ctx);
            } finally {
                open.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
            }
        };
    }

    private boolean tryTake(String key) {
        boolean[] granted = {false};
        open.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= perKey) return now;
            granted[0] = true;
            return now + 1;
        });
        return granted[0];
    }

    private static boolean isMultipart(Context ctx) {
        String ct = ctx.contentType();
        return ct != null && ct.toLowerCase(Locale.ROOT).startsWith("multipart/");
    }

    private static String keyId(Context ctx) {
        String k = ctx.attribute(AccessControl.KEY_ID);
        return k == null ? AccessControl.ANONYMOUS : k;
    }
}

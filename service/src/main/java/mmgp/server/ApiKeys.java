package mmgp.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The accepted API keys. Only SHA-256 digests are kept; a presented key is hashed and compared
 * with every digest in constant time (no early exit on the first differing byte, nor on the first
 * matching key), so response times say nothing about the keys. A key is named in logs and the
 * job table by its id, "key-" + the first 8 hex digits of its digest, never by itself; the job
 * table's owner column is that id, so a key set in which two keys share one is refused.
 */
public final class ApiKeys {
    private final List<byte[]> digests = new ArrayList<>();

    public ApiKeys(List<String> keys) {
        // Jobs belong to a key id, so two keys with one id would see each other's jobs: refuse such a set.
        Map<String, byte[]> byId = new HashMap<>();
        for (String k : keys) {
            byte[] d = sha256(k);
            byte[] seen = byId.putIfAbsent(idOf(d), d);
            if (seen == null) digests.add(d);
            else if (!MessageDigest.isEqual(seen, d)) {
                throw new IllegalArgumentException("two different API keys share the id " + idOf(d) + " (the first 8 hex digits of their sha256); replace one of them");
            }
        }
    }

    /** Reads one key per line; blank lines and lines starting with '#' are skipped. */
    public static List<String> readFile(Path file) throws IOException {
        List<String> keys = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String k = line.strip();
            if (!k.isEmpty() && !k.startsWith("#")) keys.add(k);
        }
        if (keys.isEmpty()) throw new IOException(file + " holds no API key (one per line)");
        return keys;
    }

    /** The id of the key when {@code presented} is one of ours. */
    public Optional<String> authenticate(String presented) {
        if (presented == null || presented.isEmpty()) return Optional.empty();
        byte[] d = sha256(presented);
        byte[] match = null;
        for (byte[] known : digests) {
            if (MessageDigest.isEqual(known, d)) match = known;
        }
        return match == null ? Optional.empty() : Optional.of(idOf(match));
    }

    /** The loggable id of {@code key}. */
    public static String idOf(String key) {
        return idOf(sha256(key));
    }

    private static String idOf(byte[] digest) {
        return "key-" + HexFormat.of().formatHex(digest, 0, 4);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JDK", e);
        }
    }
}

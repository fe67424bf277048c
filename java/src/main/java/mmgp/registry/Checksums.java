package mmgp.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The two hashes the hub publishes: sha256 of the content (the LFS oid) and git's blob sha1,
 * sha1("blob &lt;size&gt;\0" + content), which is the oid of files stored in git itself.
 * A {@link Running} instance hashes bytes as they arrive so a download is read only once.
 */
public final class Checksums {
    private Checksums() {}

    /** Both digests over a stream of bytes whose total length is known up front (git's header needs it). */
    public static final class Running {
        private final MessageDigest sha256 = digest("SHA-256");
        private final MessageDigest gitSha1 = digest("SHA-1");

        public Running(long totalSize) {
            gitSha1.update(("blob " + totalSize + "\0").getBytes(StandardCharsets.US_ASCII));
        }

        public void update(byte[] bytes, int offset, int length) {
            sha256.update(bytes, offset, length);
            gitSha1.update(bytes, offset, length);
        }

        /** Feeds every byte of {@code file} (the part of a download already on disk). */
        public void update(Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 20];
                for (int n; (n = in.read(buf)) > 0; ) update(buf, 0, n);
            }
        }

        public String sha256() {
            return HexFormat.of().formatHex(sha256.digest());
        }

        public String gitBlobSha1() {
            return HexFormat.of().formatHex(gitSha1.digest());
        }
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest md = digest("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    public static String gitBlobSha1(byte[] content) {
        MessageDigest md = digest("SHA-1");
        md.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
        return HexFormat.of().formatHex(md.digest(content));
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is missing from this JDK", e);
        }
    }
}

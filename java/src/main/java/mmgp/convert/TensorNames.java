package mmgp.convert;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * GGUF (ggml) tensor names hold at most 63 bytes, Hugging Face names are often longer. Long
 * names are stored shortened (a hash of the full name, then its tail, which names the
 * parameter) and the file records the pairs under {@link #LONG_NAMES_KEY} so that loaders see
 * the full names again.
 */
public final class TensorNames {
    public static final int MAX_BYTES = 63;
    /** String array of pairs: short name, full name. */
    public static final String LONG_NAMES_KEY = "mmgp.long_names";

    private TensorNames() {}

    public static String shorten(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_BYTES) return name;
        String hash = HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(4).putInt(name.hashCode()).array());
        String tail = name.substring(name.length() - (MAX_BYTES - 10));
        return hash + "~" + tail.replaceAll("^[^.]*\\.", ".");
    }
}

package mmgp.convert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import mmgp.safetensors.SafetensorsTensorInfo;

/**
 * Converts any safetensors checkpoint keeping its tensor names (prefixed with the diffusers
 * component). GGUF names hold at most 63 bytes, so longer names are shortened with a hash
 * suffix and the full names are recorded in {@code mmgp.raw.long_names} (pairs: short, full).
 * Each component's config.json is stored as {@code mmgp.config.<component>}.
 */
final class RawConverter implements ModelConverter {
    static final int MAX_NAME_BYTES = 63;

    @Override
    public String id() {
        return "raw";
    }

    @Override
    public String description() {
        return "any safetensors checkpoint, tensor names kept (no model graph uses it; for inspection and tests)";
    }

    @Override
    public void plan(HfCheckpoint checkpoint, ConversionPlan plan) throws IOException {
        plan.metadata().putString("general.architecture", "raw");
        plan.metadata().putString("general.name", checkpoint.root().getFileName().toString());
        List<String> longNames = new ArrayList<>();
        for (HfCheckpoint.Component c : checkpoint.components().values()) {
            plan.metadata().putString("mmgp.config." + (c.name().isEmpty() ? "model" : c.name()), c.config().toString());
            for (String name : c.weights().names().stream().sorted().toList()) {
                SafetensorsTensorInfo info = c.weights().tensor(name);
                switch (info.dtype()) {
                    case F32, F16, BF16, F64 -> { }
                    default -> { continue; } // integer buffers (e.g. position ids) are not weights
                }
                String full = c.name().isEmpty() ? name : c.name() + "." + name;
                String stored = shorten(full);
                if (!stored.equals(full)) {
                    longNames.add(stored);
                    longNames.add(full);
                }
                plan.add(stored, c.weights(), name);
            }
        }
        if (!longNames.isEmpty()) plan.metadata().putStringArray("mmgp.raw.long_names", longNames);
    }

    static String shorten(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= MAX_NAME_BYTES) return name;
        String hash = HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(4).putInt(name.hashCode()).array());
        // Keep the tail: it names the parameter (…layers.11.self_attn.q_proj.weight).
        String tail = name.substring(name.length() - (MAX_NAME_BYTES - 10));
        return hash + "~" + tail.replaceAll("^[^.]*\\.", ".");
    }
}

package mmgp.bindings;

/**
 * The shared libraries mmgp binds, in dependency order. ggml-base must be loaded before
 * ggml-cpu and ggml, llama before mtmd: the built libs resolve each other through $ORIGIN,
 * but loading in order keeps the failure message about the first missing piece.
 */
public enum NativeLibrary {
    GGML_BASE("ggml-base"),
    GGML_CPU("ggml-cpu"),
    GGML("ggml"),
    LLAMA("llama"),
    MTMD("mtmd");

    private final String baseName;

    NativeLibrary(String baseName) {
        this.baseName = baseName;
    }

    public String baseName() {
        return baseName;
    }

    /** File name on this OS, e.g. libggml.so or libggml.dylib. */
    public String fileName() {
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
        return "lib" + baseName + (os.contains("mac") ? ".dylib" : ".so");
    }
}

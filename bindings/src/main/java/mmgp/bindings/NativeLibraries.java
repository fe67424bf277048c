package mmgp.bindings;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds and loads the pinned ggml/llama.cpp build made by {@code native/build-native.sh}.
 *
 * <p>Search order: {@code -Dmmgp.native.dir}, {@code MMGP_NATIVE_DIR}, then the build cache
 * {@code ~/.cache/mmgp/native/<version>-<os>-<arch>-<cpu key>} whose recorded CPU features are
 * the ones of this machine (the libs are compiled with -march=native). The directory's
 * BUILD-INFO names the pinned source and the sha256 of every lib; a lib that differs is
 * refused, since a mismatched ggml would misread our struct offsets.
 */
public final class NativeLibraries {
    public static final String PINNED_NPM = "node-llama-cpp@3.22.1";
    public static final String PINNED_COMMIT = "de3ff815ea7d559ee917f063901b8986f038abc6";
    /**
     * The oldest build recipe (BUILD-INFO "recipe", see native/build-native.sh) this mmgp loads.
     * Recipe 3 is the first that keeps GCC 12 (and 11) from deleting the AMX tile config's stores
     * whatever compiler CMake picks (recipe 2 asked the shell's c++, which can differ): a build
     * without it faults in its first AMX tile instruction on an AMX CPU, e.g. in libllama's
     * matmuls of SmolVLM2, which would take the JVM down.
     */
    public static final int MIN_RECIPE = 3;

    /** Mirrors the grep in build-native.sh: the features that change what -march=native emits. */
    private static final java.util.regex.Pattern FEATURE = java.util.regex.Pattern.compile(
            "avx|avx2|fma|f16c|avx512[a-z0-9_]*|amx[a-z0-9_]*|sse4_2|asimd[a-z]*|sve[0-9]*|i8mm|bf16|dotprod");
    private static volatile NativeLibraries instance;

    private final Path dir;
    private final Map<String, String> buildInfo;
    /** What the launcher sets and the library sets for an embedding application that did not (see {@link #load}). */
    static final String DEFAULT_GOMP_SPINCOUNT = "10000";

    private final Map<NativeLibrary, SymbolLookup> lookups = new EnumMap<>(NativeLibrary.class);

    private NativeLibraries(Path dir, Map<String, String> buildInfo) {
        this.dir = dir;
        this.buildInfo = buildInfo;
    }

    /** The loaded libraries; the first call finds, verifies and loads them. */
    public static NativeLibraries get() {
        NativeLibraries libs = instance;
        if (libs == null) {
            synchronized (NativeLibraries.class) {
                libs = instance;
                if (libs == null) {
                    libs = load(locate());
                    instance = libs;
                    routeNativeLogs();
                }
            }
        }
        return libs;
    }

    /**
     * Sends llama.cpp's, ggml's and mtmd's log lines to the System.Loggers "llama.cpp", "ggml" and
     * "mtmd" (SLF4J's, in the application) instead of stderr, before anything loads a model.
     * {@code -Dmmgp.native.log=stderr} or {@code MMGP_NATIVE_LOG=stderr} keeps the libraries' own stderr output.
     */
    private static void routeNativeLogs() {
        String mode = System.getProperty("mmgp.native.log", System.getenv("MMGP_NATIVE_LOG"));
        if ("stderr".equalsIgnoreCase(mode)) return;
        try {
            mmgp.bindings.llama.LlamaLog.routeToLoggers();
        } catch (RuntimeException | LinkageError e) {
            // Logging is not worth failing the load for: the libraries keep writing to stderr.
            System.getLogger("mmgp.bindings").log(System.Logger.Level.WARNING,
                    "native log routing not installed, llama.cpp logs to stderr: " + e);
        }
    }

    /** True when the libraries can be found and loaded; never throws. */
    public static boolean available() {
        try {
            get();
            return true;
        } catch (NativeLibraryException e) {
            return false;
        }
    }

    public Path directory() {
        return dir;
    }

    public Path libDirectory() {
        return dir.resolve("lib");
    }

    public Path binDirectory() {
        return dir.resolve("bin");
    }

    public Path includeDirectory() {
        return dir.resolve("include");
    }

    public Map<String, String> buildInfo() {
        return buildInfo;
    }

    /** A BUILD-INFO's recipe revision: 0 for builds made before it was recorded, -1 if unreadable. */
    static int recipe(Map<String, String> info) {
        String r = info.get("recipe");
        if (r == null) return 0;
        try {
            return Integer.parseInt(r.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public SymbolLookup lookup(NativeLibrary library) {
        return lookups.get(library);
    }

    static Path locate() {
        String explicit = System.getProperty("mmgp.native.dir");
        if (explicit == null || explicit.isBlank()) explicit = System.getenv("MMGP_NATIVE_DIR");
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isRegularFile(p.resolve("BUILD-INFO"))) {
                throw new NativeLibraryException("mmgp.native.dir/MMGP_NATIVE_DIR points at " + p
                        + ", which has no BUILD-INFO; build the native libs with native/build-native.sh "
                        + "(or ./mmgp, which does it on first use) and point there, or unset it.");
            }
            return p;
        }
        Path root = cacheRoot().resolve("native");
        String prefix = PINNED_NPM.substring(PINNED_NPM.indexOf('@') + 1) + "-" + osName() + "-" + archName() + "-";
        Set<String> here = cpuFeatures();
        if (Files.isDirectory(root)) {
            try (Stream<Path> entries = Files.list(root)) {
                for (Path candidate : entries.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList()) {
                    Path info = candidate.resolve("BUILD-INFO");
                    if (!Files.isRegularFile(info)) continue;
                    Map<String, String> props = readBuildInfo(info);
                    Set<String> built = new TreeSet<>(List.of(props.getOrDefault("features", "").trim().split("\\s+")));
                    built.remove("");
                    if (built.equals(here)) return candidate;
                }
            } catch (IOException e) {
                throw new NativeLibraryException("cannot list " + root + ": " + e.getMessage(), e);
            }
        }
        throw new NativeLibraryException("the native ggml/llama.cpp libraries are not built for this machine (looked in "
                + root + " for " + prefix + "*). Run native/build-native.sh (./mmgp does it on first use), "
                + "or set -Dmmgp.native.dir / MMGP_NATIVE_DIR to a build directory.");
    }

    static NativeLibraries load(Path dir) {
        Map<String, String> info = readBuildInfo(dir.resolve("BUILD-INFO"));
        String npm = info.get("npm");
        String commit = info.get("commit");
        if (!PINNED_NPM.equals(npm) || !PINNED_COMMIT.equals(commit)) {
            throw new NativeLibraryException("native build in " + dir + " is from " + npm + " (" + commit
                    + "), but this mmgp is bound to " + PINNED_NPM + " (" + PINNED_COMMIT + "); rebuild with native/build-native.sh");
        }
        int recipe = recipe(info);
        if (recipe < MIN_RECIPE) {
            throw new NativeLibraryException("native build in " + dir + " is of build recipe " + recipe + ", this mmgp needs "
                    + MIN_RECIPE + " or later (older builds may fault in ggml's AMX matmuls); rebuild with native/build-native.sh "
                    + "(./mmgp does it on its next start)");
        }
        NativeLibraries libs = new NativeLibraries(dir, info);
        // ggml's OpenMP threads spin ~300k iterations between ops by default; on a machine whose
        // cores other processes share that cost 30× on small graphs. libgomp reads this once when it
        // loads, i.e. below: an embedding application gets the launcher's default unless it set its own.
        if (System.getenv("GOMP_SPINCOUNT") == null) Libc.setenvIfAbsent("GOMP_SPINCOUNT", DEFAULT_GOMP_SPINCOUNT);
        for (NativeLibrary library : NativeLibrary.values()) {
            Path file = dir.resolve("lib").resolve(library.fileName());
            if (!Files.isRegularFile(file)) {
                throw new NativeLibraryException("missing native library " + file + "; rebuild with native/build-native.sh");
            }
            verifyChecksum(info, dir, file);
            try {
                libs.lookups.put(library, SymbolLookup.libraryLookup(file, Arena.global()));
            } catch (IllegalArgumentException e) {
                throw new NativeLibraryException("cannot load " + file + ": " + e.getMessage(), e);
            }
        }
        // ggml's API is spread over three libraries (core, backend registry, CPU backend);
        // bindings ask for "ggml" and get all three, in the order a C linker would search.
        libs.lookups.put(NativeLibrary.GGML, libs.lookups.get(NativeLibrary.GGML)
                .or(libs.lookups.get(NativeLibrary.GGML_BASE)).or(libs.lookups.get(NativeLibrary.GGML_CPU)));
        return libs;
    }

    private static void verifyChecksum(Map<String, String> info, Path dir, Path file) {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            throw new NativeLibraryException("cannot resolve " + file + ": " + e.getMessage(), e);
        }
        // BUILD-INFO records each regular file; libfoo.so is a link to the versioned file.
        String expected = info.get("sha256:lib/" + real.getFileName());
        if (expected == null) {
            throw new NativeLibraryException(file + " is not listed in " + dir.resolve("BUILD-INFO") + "; rebuild with native/build-native.sh");
        }
        String actual = sha256(real);
        if (!expected.equals(actual)) {
            throw new NativeLibraryException(real + " does not match its build record (sha256 " + actual + ", expected "
                    + expected + "); rebuild with MMGP_NATIVE_FORCE=1 native/build-native.sh");
        }
    }

    /** The sha256 of a file, hex; a build folder's BUILD-INFO records one per library. */
    public static String sha256(Path file) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new NativeLibraryException("cannot checksum " + file + ": " + e.getMessage(), e);
        }
    }

    /** A build folder's BUILD-INFO as key=value pairs, in file order. */
    public static Map<String, String> readBuildInfo(Path info) {
        Map<String, String> props = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(info)) {
                int eq = line.indexOf('=');
                if (eq > 0) props.put(line.substring(0, eq), line.substring(eq + 1));
            }
        } catch (IOException e) {
            throw new NativeLibraryException("cannot read " + info + ": " + e.getMessage(), e);
        }
        return props;
    }

    public static Path cacheRoot() {
        String env = System.getenv("MMGP_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "mmgp");
    }

    /** As build-native.sh's {@code os}: linux, darwin, ... */
    public static String osName() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        return os.contains("mac") ? "darwin" : os.contains("linux") ? "linux" : os.replace(' ', '_');
    }

    /** As build-native.sh's {@code uname -m}: x86_64, aarch64 (Linux), arm64 (macOS). */
    public static String archName() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> osName().equals("darwin") ? "arm64" : "aarch64";
            default -> arch;
        };
    }

    /** The CPU features that select a -march=native build; the same filter as build-native.sh. */
    public static Set<String> cpuFeatures() {
        Set<String> features = new TreeSet<>();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) return features;
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            String flags = lines.filter(l -> l.startsWith("flags") || l.startsWith("Features")).findFirst().orElse("");
            int colon = flags.indexOf(':');
            for (String f : flags.substring(colon + 1).trim().split("\\s+")) {
                if (FEATURE.matcher(f).matches()) features.add(f);
            }
        } catch (IOException e) {
            throw new NativeLibraryException("cannot read /proc/cpuinfo: " + e.getMessage(), e);
        }
        return features;
    }
}

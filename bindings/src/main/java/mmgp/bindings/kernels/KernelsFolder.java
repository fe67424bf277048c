package mmgp.bindings.kernels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.NativeLibraryException;

/**
 * Finds the kernels build to load: the folder -Dmmgp.kernels.dir / MMGP_KERNELS_DIR names, else
 * the newest kernels-* folder under the native cache built for this OS, architecture and CPU
 * feature set.
 */
final class KernelsFolder {
    private KernelsFolder() {}

    static Path locate() {
        String explicit = System.getProperty("mmgp.kernels.dir");
        if (explicit == null || explicit.isBlank()) explicit = System.getenv("MMGP_KERNELS_DIR");
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isRegularFile(p.resolve("BUILD-INFO"))) {
                throw new NativeLibraryException("mmgp.kernels.dir/MMGP_KERNELS_DIR points at " + p + ", which has no BUILD-INFO; "
                        + "build the kernels with native/build-native.sh and point there, or unset it.");
            }
            return p;
        }
        Path root = NativeLibraries.cacheRoot().resolve("native");
        String os = MmgpKernels.osName(), arch = MmgpKernels.archName();
        Set<String> here = MmgpKernels.cpuFeatures();
        List<String> seen = new ArrayList<>();
        if (Files.isDirectory(root)) {
            List<Path> candidates;
            try (Stream<Path> entries = Files.list(root)) {
                candidates = entries.filter(p -> p.getFileName().toString().startsWith("kernels-"))
                        .filter(p -> Files.isRegularFile(p.resolve("BUILD-INFO"))).toList();
            } catch (IOException e) {
                throw new NativeLibraryException("cannot list " + root + ": " + e.getMessage(), e);
            }
            List<Path> matching = new ArrayList<>();
            for (Path candidate : candidates) {
                Map<String, String> props = MmgpKernels.readBuildInfo(candidate.resolve("BUILD-INFO"));
                Set<String> built = new TreeSet<>(List.of(props.getOrDefault("features", "").trim().split("\\s+")));
                built.remove("");
                if (os.equals(props.get("os")) && arch.equals(props.get("arch")) && built.equals(here)) matching.add(candidate);
                else seen.add(candidate.getFileName() + " (" + props.get("os") + "-" + props.get("arch") + ")");
            }
            // Newest first: the folder name hashes the sources, so an edit makes a new folder.
            Path newest = matching.stream().max(Comparator.comparing(KernelsFolder::buildTime)).orElse(null);
            if (newest != null) return newest;
        }
        throw new NativeLibraryException("kernels not built: no " + MmgpKernels.fileName() + " for this " + os + "-" + arch + " CPU in " + root
                + "/kernels-*" + (seen.isEmpty() ? "" : " (other CPUs: " + String.join(", ", seen) + ")")
                + ". Run native/build-native.sh (./mmgp does it on first use; a failed kernels compile is only a warning there, "
                + "look for 'mmgp kernels' in its output), or set -Dmmgp.kernels.dir / MMGP_KERNELS_DIR to a kernels build folder.");
    }

    private static FileTime buildTime(Path dir) {
        try {
            return Files.getLastModifiedTime(dir.resolve("BUILD-INFO"));
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}

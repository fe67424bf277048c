package mmgp.bindings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding and verifying the native build: clear errors instead of UnsatisfiedLinkError stacks. */
class NativeLibrariesTest {
    /**
     * The Maven build runs native/build-native.sh first, so missing libraries are a bug: this test
     * fails with the loader's own message instead of letting every native test skip quietly.
     * {@code -Dmmgp.allowNoNative=true} opts out (e.g. to run the pure-Java tests alone).
     */
    @Test
    void theNativeBuildIsPresent() {
        assumeTrue(!Boolean.getBoolean("mmgp.allowNoNative"), "mmgp.allowNoNative is set");
        assertThat(NativeLibraries.get().directory()).isNotNull();
    }

    @Test
    void theLoadedBuildIsThePinnedOneAndItsChecksumsHold() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        NativeLibraries libs = NativeLibraries.get();
        assertThat(libs.buildInfo()).containsEntry("npm", NativeLibraries.PINNED_NPM).containsEntry("commit", NativeLibraries.PINNED_COMMIT);
        for (NativeLibrary l : NativeLibrary.values()) assertThat(libs.lookup(l)).isNotNull();
    }

    @Test
    void javaSelectsTheBuildForThisCpuLikeTheBuildScript() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        Set<String> recorded = new TreeSet<>(List.of(NativeLibraries.get().buildInfo().get("features").trim().split("\\s+")));
        assertThat(NativeLibraries.cpuFeatures()).isEqualTo(recorded);
    }

    @Test
    void aDirectoryWithoutBuildInfoIsNamed(@TempDir Path tmp) {
        String old = System.getProperty("mmgp.native.dir");
        System.setProperty("mmgp.native.dir", tmp.toString());
        try {
            assertThatThrownBy(NativeLibraries::locate).isInstanceOf(NativeLibraryException.class)
                    .hasMessageContaining(tmp.toString()).hasMessageContaining("build-native.sh");
        } finally {
            if (old == null) System.clearProperty("mmgp.native.dir");
            else System.setProperty("mmgp.native.dir", old);
        }
    }

    @Test
    void aBuildOfAnotherSourceIsRefused(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("BUILD-INFO"), "npm=node-llama-cpp@9.9.9\ncommit=abc\n");
        assertThatThrownBy(() -> NativeLibraries.load(tmp)).isInstanceOf(NativeLibraryException.class)
                .hasMessageContaining("node-llama-cpp@9.9.9").hasMessageContaining(NativeLibraries.PINNED_NPM);
    }

    @Test
    void aMissingLibraryIsNamed(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("BUILD-INFO"), "npm=" + NativeLibraries.PINNED_NPM + "\ncommit=" + NativeLibraries.PINNED_COMMIT + "\nrecipe=" + NativeLibraries.MIN_RECIPE + "\n");
        assertThatThrownBy(() -> NativeLibraries.load(tmp)).isInstanceOf(NativeLibraryException.class)
                .hasMessageContaining("missing native library").hasMessageContaining("libggml-base");
    }

    @Test
    void aTamperedLibraryIsRefused(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("lib"));
        Files.writeString(tmp.resolve("lib/libggml-base.so"), "not a library");
        Files.writeString(tmp.resolve("BUILD-INFO"), "npm=" + NativeLibraries.PINNED_NPM + "\ncommit=" + NativeLibraries.PINNED_COMMIT
                + "\nrecipe=" + NativeLibraries.MIN_RECIPE + "\nsha256:lib/libggml-base.so=" + "0".repeat(64) + "\n");
        assertThatThrownBy(() -> NativeLibraries.load(tmp)).isInstanceOf(NativeLibraryException.class)
                .hasMessageContaining("does not match its build record");
    }

    @Test
    void aBuildOfAnOlderRecipeIsRefusedBeforeItsLibrariesLoad(@TempDir Path tmp) throws Exception {
        // No lib folder: were the recipe not checked first, the error would be the missing library.
        Files.writeString(tmp.resolve("BUILD-INFO"), "npm=" + NativeLibraries.PINNED_NPM + "\ncommit=" + NativeLibraries.PINNED_COMMIT + "\n");
        assertThatThrownBy(() -> NativeLibraries.load(tmp)).isInstanceOf(NativeLibraryException.class)
                .hasMessageContaining("build recipe 0").hasMessageContaining("needs " + NativeLibraries.MIN_RECIPE)
                .hasMessageContaining("native/build-native.sh");
        Files.writeString(tmp.resolve("BUILD-INFO"), "npm=" + NativeLibraries.PINNED_NPM + "\ncommit=" + NativeLibraries.PINNED_COMMIT + "\nrecipe=x\n");
        assertThatThrownBy(() -> NativeLibraries.load(tmp)).isInstanceOf(NativeLibraryException.class).hasMessageContaining("build recipe -1");
    }
}

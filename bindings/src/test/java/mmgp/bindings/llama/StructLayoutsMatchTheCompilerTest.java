package mmgp.bindings.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.ggml.Ggml;
import mmgp.bindings.gguf.GgufNative;
import mmgp.bindings.mtmd.Mtmd;
import mmgp.bindings.mtmd.MtmdContextParams;
import mmgp.bindings.mtmd.MtmdInputText;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every struct mmgp passes by value (or by pointer, for mtmd_input_text) has the size,
 * alignment and field offsets the C compiler gives it against the pinned headers, and the
 * same fields in the same order as the header declares.
 *
 * <p>The C program is generated from the Java layouts' own field names, compiled with the
 * system C compiler and run; the test is skipped when there is no compiler.
 */
class StructLayoutsMatchTheCompilerTest {
    /** C struct name -> our layout. */
    static final Map<String, StructLayout> STRUCTS = new LinkedHashMap<>();

    static {
        STRUCTS.put("llama_model_params", LlamaModelParams.LAYOUT);
        STRUCTS.put("llama_context_params", LlamaContextParams.LAYOUT);
        STRUCTS.put("llama_batch", LlamaBatch.LAYOUT);
        STRUCTS.put("mtmd_context_params", MtmdContextParams.LAYOUT);
        STRUCTS.put("mtmd_input_text", MtmdInputText.LAYOUT);
        STRUCTS.put("mtmd_helper_video_init_params", Mtmd.HELPER_VIDEO_INIT_PARAMS);
        STRUCTS.put("mtmd_helper_init_opt", Mtmd.HELPER_INIT_OPT);
        STRUCTS.put("mtmd_helper_bitmap_wrapper", Mtmd.HELPER_BITMAP_WRAPPER);
        STRUCTS.put("gguf_init_params", GgufNative.INIT_PARAMS);
        STRUCTS.put("ggml_init_params", Ggml.INIT_PARAMS);
    }

    @TempDir
    static Path work;

    static Path include;
    /** "struct" -> "size align", "struct.field" -> "offset size", as the compiler sees them. */
    static Map<String, String> compiled;

    @BeforeAll
    static void compileAndRunProbe() throws IOException, InterruptedException {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        include = NativeLibraries.get().includeDirectory();
        Optional<Path> cc = Stream.of("cc", "gcc", "clang").map(StructLayoutsMatchTheCompilerTest::onPath).flatMap(Optional::stream).findFirst();
        assumeTrue(cc.isPresent(), "no C compiler (cc, gcc or clang) on PATH; struct layouts not checked against the compiler");

        StringBuilder c = new StringBuilder("""
                #include <stdio.h>
                #include <stddef.h>
                #include "llama.h"
                #include "gguf.h"
                #include "mtmd.h"
                #include "mtmd-helper.h"
                #define STRUCT(S) printf("%s %zu %zu\\n", #S, sizeof(struct S), _Alignof(struct S));
                #define FIELD(S, F) printf("%s.%s %zu %zu\\n", #S, #F, offsetof(struct S, F), sizeof(((struct S *) 0)->F));
                int main(void) {
                """);
        STRUCTS.forEach((name, layout) -> {
            c.append("    STRUCT(").append(name).append(")\n");
            for (String field : fieldPaths(layout, "")) c.append("    FIELD(").append(name).append(", ").append(field).append(")\n");
        });
        c.append("    return 0;\n}\n");
        Path source = Files.writeString(work.resolve("layouts.c"), c);
        Path binary = work.resolve("layouts");
        String compileOutput = run(List.of(cc.get().toString(), "-std=c11", "-I", include.toString(), source.toString(), "-o", binary.toString()));
        assertThat(Files.isExecutable(binary)).as("compiling the layout probe:\n" + compileOutput).isTrue();
        compiled = new HashMap<>();
        for (String line : run(List.of(binary.toString())).split("\n")) {
            int space = line.indexOf(' ');
            if (space > 0) compiled.put(line.substring(0, space), line.substring(space + 1).trim());
        }
    }

    @Test
    void sizesAndAlignmentsMatch() {
        STRUCTS.forEach((name, layout) ->
                assertThat(layout.byteSize() + " " + layout.byteAlignment()).as("sizeof/_Alignof struct " + name).isEqualTo(compiled.get(name)));
    }

    @Test
    void fieldOffsetsAndSizesMatch() {
        List<String> mismatches = new ArrayList<>();
        STRUCTS.forEach((name, layout) -> {
            for (String field : fieldPaths(layout, "")) {
                MemoryLayout.PathElement[] path = Stream.of(field.split("\\.")).map(MemoryLayout.PathElement::groupElement)
                        .toArray(MemoryLayout.PathElement[]::new);
                String ours = layout.byteOffset(path) + " " + layout.select(path).byteSize();
                String theirs = compiled.get(name + "." + field);
                if (!ours.equals(theirs)) mismatches.add(name + "." + field + ": ours (offset size) " + ours + ", C " + theirs);
            }
        });
        assertThat(mismatches).isEmpty();
    }

    @Test
    void fieldsAreTheHeadersFieldsInOrder() throws IOException {
        String headers = readHeaders();
        List<String> mismatches = new ArrayList<>();
        STRUCTS.forEach((name, layout) -> {
            Matcher m = Pattern.compile("struct\\s+" + name + "\\s*\\{([^{}]*)\\}").matcher(headers);
            if (!m.find()) {
                mismatches.add(name + ": no definition found in " + include);
                return;
            }
            List<String> declared = new ArrayList<>();
            for (String decl : m.group(1).split(";")) {
                String d = decl.replaceAll("\\[[^]]*]", "").trim();
                if (d.isEmpty()) continue;
                Matcher last = Pattern.compile("(\\w+)\\s*$").matcher(d);
                if (last.find()) declared.add(last.group(1));
            }
            List<String> ours = layout.memberLayouts().stream().filter(l -> !(l instanceof PaddingLayout))
                    .map(l -> l.name().orElse("?")).toList();
            if (!ours.equals(declared)) mismatches.add(name + ": ours " + ours + ", header " + declared);
        });
        assertThat(mismatches).isEmpty();
    }

    /** Named fields, nested ones as "outer.inner" (offsetof accepts that designator). */
    static List<String> fieldPaths(GroupLayout layout, String prefix) {
        List<String> out = new ArrayList<>();
        for (MemoryLayout member : layout.memberLayouts()) {
            if (member instanceof PaddingLayout) continue;
            String name = prefix + member.name().orElseThrow(() -> new AssertionError("unnamed field in " + layout));
            if (member instanceof GroupLayout nested) out.addAll(fieldPaths(nested, name + "."));
            else out.add(name);
        }
        return out;
    }

    private static String readHeaders() throws IOException {
        StringBuilder all = new StringBuilder();
        for (String h : List.of("ggml.h", "gguf.h", "llama.h", "mtmd.h", "mtmd-helper.h")) {
            all.append(Files.readString(include.resolve(h)).replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " "));
        }
        return all.toString();
    }

    private static Optional<Path> onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        return Stream.of(path.split(File.pathSeparator)).map(d -> Path.of(d, program)).filter(Files::isExecutable).findFirst();
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return out;
    }
}

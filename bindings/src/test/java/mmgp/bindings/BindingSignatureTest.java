package mmgp.bindings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemoryLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every FFM binding must name an exported symbol and match its prototype in the pinned headers. */
class BindingSignatureTest {
    static final List<String> BINDING_CLASSES = List.of(
            "mmgp.bindings.ggml.Ggml", "mmgp.bindings.ggml.Ggml$Unary", "mmgp.bindings.ggml.Ggml$Binary", "mmgp.bindings.ggml.Ggml$Norm",
            "mmgp.bindings.ggml.GgmlBackend", "mmgp.bindings.gguf.GgufNative",
            "mmgp.bindings.llama.Llama", "mmgp.bindings.mtmd.Mtmd");

    static Map<String, CHeaderPrototypes.Prototype> prototypes;

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        List<Path> headers;
        try (Stream<Path> s = Files.list(NativeLibraries.get().includeDirectory())) {
            headers = s.filter(p -> p.toString().endsWith(".h")).toList();
        }
        prototypes = CHeaderPrototypes.parse(headers);
        for (String cls : BINDING_CLASSES) {
            try {
                Class.forName(cls);
            } catch (ClassNotFoundException absent) {
                // Not every library has bindings yet in every build of this test.
            }
        }
    }

    @Test
    void headersAreParsed() {
        assertThat(prototypes).containsKeys("ggml_init", "ggml_mul_mat", "ggml_backend_tensor_set", "gguf_init_from_file");
        assertThat(prototypes.get("ggml_rope_ext").params()).hasSize(13);
        assertThat(prototypes.get("ggml_tensor_overhead").params()).isEmpty();
    }

    @Test
    void everyBindingMatchesItsPrototype() {
        List<Downcalls.Binding> bindings = Downcalls.registered();
        assertThat(bindings).hasSizeGreaterThan(100);
        List<String> problems = new ArrayList<>();
        for (Downcalls.Binding b : bindings) {
            if (NativeLibraries.get().lookup(b.library()).find(b.name()).isEmpty()) {
                problems.add(b.name() + ": not exported by " + b.library().fileName());
                continue;
            }
            CHeaderPrototypes.Prototype proto = prototypes.get(b.name());
            if (proto == null) {
                problems.add(b.name() + ": no prototype in the pinned headers");
                continue;
            }
            List<MemoryLayout> args = b.descriptor().argumentLayouts();
            if (args.size() != proto.params().size()) {
                problems.add(b.name() + ": binds " + args.size() + " parameters, header has " + proto.params().size() + ": " + proto.text());
                continue;
            }
            for (int i = 0; i < args.size(); i++) {
                char bound = kind(args.get(i));
                char declared = proto.params().get(i);
                if (bound != declared) problems.add(b.name() + ": parameter " + i + " bound as " + bound + ", declared " + declared + ": " + proto.text());
            }
            char boundResult = b.descriptor().returnLayout().map(BindingSignatureTest::kind).orElse('V');
            if (boundResult != proto.result()) problems.add(b.name() + ": result bound as " + boundResult + ", declared " + proto.result() + ": " + proto.text());
        }
        assertThat(problems).isEmpty();
    }

    static char kind(MemoryLayout layout) {
        return CHeaderPrototypes.kindOf(layout);
    }
}

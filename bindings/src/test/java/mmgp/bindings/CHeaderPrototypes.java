package mmgp.bindings;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the exported function prototypes out of the pinned C headers and classifies each
 * parameter into the ABI kind FFM needs (pointer, 32/64-bit int, float, bool, struct by value).
 */
public final class CHeaderPrototypes {
    /** A C prototype reduced to ABI kinds: 'P' pointer, 'I' 32-bit int, 'L' 64-bit int, 'H' 16-bit int, 'F', 'D', 'B' bool, 'C' byte, 'S' struct by value, 'V' void. */
    public record Prototype(String name, char result, List<Character> params, String text) {}

    private static final Pattern DECL = Pattern.compile(
            "(?:GGML_API|GGML_BACKEND_API|LLAMA_API|MTMD_API|CBLAS_API)\\s+([^;{}()]*?)\\b(\\w+)\\s*\\(([^;{}]*?)\\)\\s*(?:,\\s*\"[^\"]*\"\\s*\\))?\\s*;",
            Pattern.DOTALL);
    /**
     * CBLAS headers (OpenBLAS, Accelerate, netlib) declare their functions without an export
     * macro: a bare prototype at the start of a line whose name begins with cblas_.
     */
    private static final Pattern CBLAS_DECL = Pattern.compile(
            "(?m)^[ \\t]*((?:[A-Za-z_]\\w*[ \\t*]+)+?)(cblas_\\w+)[ \\t]*\\(([^;{}]*?)\\)[ \\t]*;");
    /** Typedefs of the pinned headers that name pointers (opaque handles, callbacks). */
    private static final Pattern POINTER_TYPEDEF = Pattern.compile(
            "ggml_backend_(t|buffer_t|buffer_type_t|dev_t|reg_t|sched_t|event_t|graph_plan_t|sched_eval_callback|eval_callback)"
                    + "|ggml_gallocr_t|ggml_threadpool_t|ggml_abort_callback|ggml_log_callback|ggml_custom\\w*_t"
                    + "|llama_memory_t|llama_progress_callback|llama_opt_param_filter|llama_sampler_context_t|mtmd_input_chunks_t"
                    + "|ggml_opt\\w*_t");
    /** blasint is int in the LP64 OpenBLAS/Accelerate builds mmgp binds (not the ILP64 libopenblas64). */
    private static final Set<String> INT32 = Set.of("int", "int32_t", "uint32_t", "unsigned", "unsigned int",
            "llama_token", "llama_pos", "llama_seq_id", "blasint", "__LAPACK_int");
    private static final Set<String> INT16 = Set.of("int16_t", "uint16_t", "short", "unsigned short");
    private static final Set<String> INT64_CBLAS = Set.of("CBLAS_INDEX");
    private static final Set<String> INT64 = Set.of("int64_t", "uint64_t", "size_t", "long", "unsigned long", "long long");

    private CHeaderPrototypes() {}

    public static Map<String, Prototype> parse(List<Path> headers) throws IOException {
        Map<String, Prototype> out = new HashMap<>();
        for (Path h : headers) {
            String src = Files.readString(h);
            src = src.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
            src = src.replaceAll("(?m)^\\s*#.*$", " ");
            src = src.replace("OPENBLAS_CONST", "const");
            // GGML_DEPRECATED(decl, "msg") wraps a declaration; unwrap it.
            src = src.replace("GGML_DEPRECATED(", " ").replace("DEPRECATED(", " ");
            Matcher m = DECL.matcher(src);
            while (m.find()) {
                String ret = m.group(1).trim();
                String name = m.group(2);
                String params = m.group(3).trim();
                List<Character> kinds = new ArrayList<>();
                if (!params.isEmpty() && !params.equals("void")) {
                    for (String p : splitTopLevel(params)) kinds.add(kindOfParam(p));
                }
                out.put(name, new Prototype(name, kindOfType(ret, true), kinds, m.group().replaceAll("\\s+", " ")));
            }
            Matcher c = CBLAS_DECL.matcher(src);
            while (c.find()) {
                String name = c.group(2);
                if (out.containsKey(name)) continue;
                String params = c.group(3).trim();
                List<Character> kinds = new ArrayList<>();
                if (!params.isEmpty() && !params.equals("void")) {
                    for (String p : splitTopLevel(params)) kinds.add(kindOfParam(p));
                }
                out.put(name, new Prototype(name, kindOfType(c.group(1), true), kinds, c.group().trim().replaceAll("\\s+", " ")));
            }
        }
        return out;
    }

    /**
     * How a binding's FFM descriptor differs from its prototype among {@code prototypes} (parsed
     * from {@code header}): one line per problem naming the function, none when they agree.
     */
    public static List<String> mismatches(String name, FunctionDescriptor descriptor, Map<String, Prototype> prototypes, Object header) {
        Prototype proto = prototypes.get(name);
        if (proto == null) return List.of(name + ": not declared in " + header);
        List<String> problems = new ArrayList<>();
        List<Character> bound = descriptor.argumentLayouts().stream().map(CHeaderPrototypes::kindOf).toList();
        if (!bound.equals(proto.params())) problems.add(name + ": binds " + bound + ", header " + proto.params() + ": " + proto.text());
        char result = descriptor.returnLayout().map(CHeaderPrototypes::kindOf).orElse('V');
        if (result != proto.result()) problems.add(name + ": result " + result + ", header " + proto.result() + ": " + proto.text());
        return problems;
    }

    /** The ABI kind of an FFM layout, in the letters of {@link Prototype}. */
    public static char kindOf(MemoryLayout layout) {
        if (layout instanceof AddressLayout) return 'P';
        if (layout instanceof GroupLayout) return 'S';
        if (layout instanceof ValueLayout.OfInt) return 'I';
        if (layout instanceof ValueLayout.OfLong) return 'L';
        if (layout instanceof ValueLayout.OfShort) return 'H';
        if (layout instanceof ValueLayout.OfFloat) return 'F';
        if (layout instanceof ValueLayout.OfDouble) return 'D';
        if (layout instanceof ValueLayout.OfBoolean) return 'B';
        if (layout instanceof ValueLayout.OfByte) return 'C';
        return '?';
    }

    private static List<String> splitTopLevel(String params) {
        List<String> parts = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < params.length(); i++) {
            char c = params.charAt(i);
            if (c == '(' || c == '[') depth++;
            else if (c == ')' || c == ']') depth--;
            else if (c == ',' && depth == 0) {
                parts.add(params.substring(start, i).trim());
                start = i + 1;
            }
        }
        parts.add(params.substring(start).trim());
        return parts;
    }

    private static char kindOfParam(String p) {
        if (p.contains("*") || p.contains("[") || p.contains("(")) return 'P';
        // Drop the parameter name: the last identifier, when more than a type remains.
        String[] words = p.replace("const ", "").replace("GGML_RESTRICT", "").trim().split("\\s+");
        String type;
        if (words.length > 1 && !(words.length == 2 && (words[0].equals("struct") || words[0].equals("enum") || words[0].equals("unsigned")))) {
            type = String.join(" ", java.util.Arrays.copyOf(words, words.length - 1));
        } else {
            type = String.join(" ", words);
        }
        return kindOfType(type, false);
    }

    private static char kindOfType(String type, boolean isReturn) {
        String t = type.replace("const ", "").replace("GGML_RESTRICT", "").replaceAll("\\s+", " ").trim();
        if (t.contains("*")) return 'P';
        if (t.equals("void")) return 'V';
        if (t.startsWith("enum ")) return 'I';
        if (t.startsWith("struct ")) return 'S';
        if (t.equals("bool")) return 'B';
        if (t.equals("float")) return 'F';
        if (t.equals("double")) return 'D';
        if (t.equals("char") || t.equals("unsigned char") || t.equals("uint8_t") || t.equals("int8_t")) return 'C';
        if (INT32.contains(t)) return 'I';
        if (INT16.contains(t)) return 'H';
        if (INT64.contains(t) || INT64_CBLAS.contains(t)) return 'L';
        if (t.startsWith("CBLAS_") || t.startsWith("enum CBLAS_")) return 'I';
        if (POINTER_TYPEDEF.matcher(t).matches()) return 'P';
        if (t.startsWith("ggml_") || t.startsWith("llama_") || t.startsWith("mtmd_")) {
            // Remaining typedef'd names in these headers are structs passed by value
            // (e.g. llama_batch, llama_model_params), except enums typedef'd without 'enum'.
            return t.endsWith("_type") || t.endsWith("_op") || t.endsWith("_status") ? 'I' : 'S';
        }
        return '?';
    }
}

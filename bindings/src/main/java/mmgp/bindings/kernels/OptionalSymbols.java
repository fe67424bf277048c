package mmgp.bindings.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernels library's ops that a build may predate (it still loads, and the graph keeps ggml's
 * route): looked up on first use in the library {@link MmgpKernels} already verified and loaded.
 * Each op comes as a group of symbols found whole or not at all, so a half-built group never
 * reaches a graph.
 */
final class OptionalSymbols {
    private static final FunctionDescriptor CUSTOM_OP = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS);

    /** mmgp_winograd.c: the fused op, and the bytes a thread of it allocates (which a graph's plan counts). */
    static final Group WINOGRAD_FUSED = new Group(new MmgpKernels.Binding("mmgp_winograd_fused", CUSTOM_OP),
            new MmgpKernels.Binding("mmgp_winograd_fused_thread_bytes", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT)));
    /** mmgp_norm.c: the group norm op, and its instruction path's name. */
    static final Group GROUP_NORM = new Group(new MmgpKernels.Binding("mmgp_group_norm", CUSTOM_OP),
            new MmgpKernels.Binding("mmgp_group_norm_path", FunctionDescriptor.of(ADDRESS)));
    /** mmgp_norm.c: the channel norm op of videos, and its instruction path's name. */
    static final Group CHANNEL_NORM = new Group(new MmgpKernels.Binding("mmgp_channel_norm", CUSTOM_OP),
            new MmgpKernels.Binding("mmgp_channel_norm_path", FunctionDescriptor.of(ADDRESS)));
    /** mmgp_attention.c: the fused attention op, its instruction path's name, and the bytes a thread of it allocates. */
    static final Group ATTENTION = new Group(new MmgpKernels.Binding("mmgp_attention", CUSTOM_OP),
            new MmgpKernels.Binding("mmgp_attention_path", FunctionDescriptor.of(ADDRESS)),
            new MmgpKernels.Binding("mmgp_attention_thread_bytes", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG)));

    /** Every optional binding, for the signature check against mmgp_kernels.h. */
    static List<MmgpKernels.Binding> bindings() {
        List<MmgpKernels.Binding> all = new ArrayList<>(WINOGRAD_FUSED.bindings());
        all.addAll(GROUP_NORM.bindings());
        all.addAll(CHANNEL_NORM.bindings());
        all.addAll(ATTENTION.bindings());
        return all;
    }

    /**
     * An op's symbols: {@link #op} the custom op's address (NULL when the group is missing) and
     * {@link #helper(int)} downcalls to its companion functions (null then).
     */
    static final class Group {
        private final List<MmgpKernels.Binding> bindings;
        private MemorySegment op;
        private MethodHandle[] helpers;

        Group(MmgpKernels.Binding op, MmgpKernels.Binding... helpers) {
            List<MmgpKernels.Binding> all = new ArrayList<>(List.of(op));
            all.addAll(List.of(helpers));
            this.bindings = List.copyOf(all);
        }

        List<MmgpKernels.Binding> bindings() {
            return bindings;
        }

        /** The op's address, NULL when the library lacks the group (or is unavailable). */
        synchronized MemorySegment op() {
            if (op == null) find();
            return op;
        }

        /** The first companion function, null when {@link #op} is NULL. */
        MethodHandle helper() {
            return helper(0);
        }

        /** The {@code i}-th companion function (in the constructor's order), null when {@link #op} is NULL. */
        synchronized MethodHandle helper(int i) {
            if (op == null) find();
            return helpers == null ? null : helpers[i];
        }

        private void find() {
            op = MemorySegment.NULL;
            if (!MmgpKernels.isAvailable()) return;
            SymbolLookup lookup = SymbolLookup.libraryLookup(MmgpKernels.directory().resolve("lib").resolve(MmgpKernels.fileName()), Arena.global());
            MemorySegment o = lookup.find(bindings.get(0).name()).orElse(MemorySegment.NULL);
            MethodHandle[] found = new MethodHandle[bindings.size() - 1];
            for (int i = 0; i < found.length; i++) {
                MemorySegment h = lookup.find(bindings.get(i + 1).name()).orElse(MemorySegment.NULL);
                if (h.equals(MemorySegment.NULL)) return; // a half-built group counts as missing
                found[i] = Linker.nativeLinker().downcallHandle(h, bindings.get(i + 1).descriptor());
            }
            if (!o.equals(MemorySegment.NULL)) {
                helpers = found;
                op = o;
            }
        }
    }

    private OptionalSymbols() {}
}

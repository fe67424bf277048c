package mmgp.bindings.kernels;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * The group norm op's symbols ({@code mmgp_norm.c}), looked up on first use in the kernels library
 * {@link MmgpKernels} already verified and loaded; both NULL in a build that predates the op.
 */
final class GroupNormSymbols {
    static final List<MmgpKernels.Binding> BINDINGS = List.of(new MmgpKernels.Binding("mmgp_group_norm_path", FunctionDescriptor.of(ADDRESS)),
            new MmgpKernels.Binding("mmgp_group_norm", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS)));
    static final MethodHandle PATH;
    static final MemorySegment FN;

    static {
        MethodHandle path = null;
        MemorySegment fn = MemorySegment.NULL;
        if (MmgpKernels.isAvailable()) {
            SymbolLookup lookup = SymbolLookup.libraryLookup(MmgpKernels.directory().resolve("lib").resolve(MmgpKernels.fileName()), Arena.global());
            MemorySegment p = lookup.find(BINDINGS.get(0).name()).orElse(MemorySegment.NULL);
            MemorySegment f = lookup.find(BINDINGS.get(1).name()).orElse(MemorySegment.NULL);
            if (!p.equals(MemorySegment.NULL) && !f.equals(MemorySegment.NULL)) {
                path = Linker.nativeLinker().downcallHandle(p, BINDINGS.get(0).descriptor());
                fn = f;
            }
        }
        PATH = path;
        FN = fn;
    }

    private GroupNormSymbols() {}
}

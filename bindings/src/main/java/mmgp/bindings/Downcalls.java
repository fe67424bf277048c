package mmgp.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Creates downcall handles and remembers every one, so that a test can check each bound
 * symbol against the built library and the pinned C headers.
 */
public final class Downcalls {
    /** One bound C function: where it lives and the signature we call it with. */
    public record Binding(NativeLibrary library, String name, FunctionDescriptor descriptor) {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final List<Binding> REGISTERED = new CopyOnWriteArrayList<>();

    private Downcalls() {}

    /** Binds {@code name} in {@code library}; {@code result} null means void. */
    public static MethodHandle bind(NativeLibrary library, String name, MemoryLayout result, MemoryLayout... args) {
        FunctionDescriptor fd = result == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(result, args);
        REGISTERED.add(new Binding(library, name, fd));
        MemorySegment symbol = NativeLibraries.get().lookup(library).find(name).orElseThrow(() ->
                new NativeLibraryException("symbol " + name + " is missing from " + library.fileName()
                        + " in " + NativeLibraries.get().libDirectory() + "; the native build does not match this mmgp"));
        return LINKER.downcallHandle(symbol, fd);
    }

    /** Looks up a symbol that may be absent (optional features); null when absent. */
    public static MethodHandle bindOptional(NativeLibrary library, String name, MemoryLayout result, MemoryLayout... args) {
        if (NativeLibraries.get().lookup(library).find(name).isEmpty()) return null;
        return bind(library, name, result, args);
    }

    /** Binds a function pointer obtained at run time (e.g. from ggml_backend_reg_get_proc_address). */
    public static MethodHandle bindAddress(MemorySegment address, MemoryLayout result, MemoryLayout... args) {
        FunctionDescriptor fd = result == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(result, args);
        return LINKER.downcallHandle(address, fd);
    }

    public static List<Binding> registered() {
        return List.copyOf(REGISTERED);
    }

    /** invokeExact declares Throwable; a downcall itself throws nothing checked. */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}

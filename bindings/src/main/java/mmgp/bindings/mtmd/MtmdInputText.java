package mmgp.bindings.mtmd;

import static mmgp.bindings.CTypes.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * {@code struct mtmd_input_text} (24 bytes), which mtmd_tokenize takes by pointer:
 * {const char * text; size_t text_len; bool add_special; bool parse_special;}.
 */
public final class MtmdInputText {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            PTR.withName("text"),
            SIZE_T.withName("text_len"),
            BOOL.withName("add_special"),
            BOOL.withName("parse_special"),
            MemoryLayout.paddingLayout(6)).withName("mtmd_input_text");

    private static final long TEXT = offset("text");
    private static final long TEXT_LEN = offset("text_len");
    private static final long ADD_SPECIAL = offset("add_special");
    private static final long PARSE_SPECIAL = offset("parse_special");

    private MtmdInputText() {}

    public static long offset(String field) {
        return LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement(field));
    }

    /** A filled struct whose UTF-8 text lives in {@code arena} too. */
    public static MemorySegment allocate(Arena arena, String text, boolean addSpecial, boolean parseSpecial) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        MemorySegment cText = arena.allocate(utf8.length + 1L);
        MemorySegment.copy(utf8, 0, cText, ValueLayout.JAVA_BYTE, 0, utf8.length);
        MemorySegment s = arena.allocate(LAYOUT);
        s.set(PTR, TEXT, cText);
        s.set(SIZE_T, TEXT_LEN, utf8.length);
        s.set(BOOL, ADD_SPECIAL, addSpecial);
        s.set(BOOL, PARSE_SPECIAL, parseSpecial);
        return s;
    }

    public static MemorySegment text(MemorySegment s) { return s.reinterpret(LAYOUT.byteSize()).get(PTR, TEXT); }
    public static long textLen(MemorySegment s) { return s.reinterpret(LAYOUT.byteSize()).get(SIZE_T, TEXT_LEN); }
    public static boolean addSpecial(MemorySegment s) { return s.reinterpret(LAYOUT.byteSize()).get(BOOL, ADD_SPECIAL); }
    public static boolean parseSpecial(MemorySegment s) { return s.reinterpret(LAYOUT.byteSize()).get(BOOL, PARSE_SPECIAL); }
}

package mmgp.bindings;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.ValueLayout;

/** C types on the LP64 platforms mmgp supports (Linux and macOS, 64-bit). */
public final class CTypes {
    public static final AddressLayout PTR = ValueLayout.ADDRESS;
    public static final ValueLayout.OfLong SIZE_T = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfInt ENUM = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    public static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE;
    public static final ValueLayout.OfBoolean BOOL = ValueLayout.JAVA_BOOLEAN;
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;

    private CTypes() {}
}

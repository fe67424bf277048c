package mmgp.gguf;

import java.util.Arrays;
import java.util.Random;

/**
 * Seeded mutations of a valid file for fuzz-style tests: bit flips, byte overwrites, truncations,
 * insertions, deletions and "interesting" integers (0, -1, 2^31, 2^60, the file size...) written over
 * whatever field happens to be there. Mutations favour the header, where the parser's decisions are.
 */
public final class ByteMutator {

    /** Values that sit on the boundaries parsers get wrong, as 64-bit little-endian patterns. */
    public static final long[] INTERESTING = {
        0, 1, 2, 4, 13, 63, 64, 255, 0x7FFF, 0xFFFF, 0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 1L << 32,
        Integer.MAX_VALUE - 8L, 1L << 40, 1L << 60, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -32
    };

    private final Random random;

    public ByteMutator(long seed) {
        this.random = new Random(seed);
    }

    /** One to four stacked mutations; {@code hotEnd} bounds the region most mutations land in. */
    public byte[] mutate(byte[] original, int hotEnd) {
        byte[] bytes = original;
        int rounds = 1 + (random.nextInt(4) == 0 ? random.nextInt(3) + 1 : 0);
        for (int i = 0; i < rounds; i++) {
            bytes = mutateOnce(bytes, hotEnd);
        }
        return bytes;
    }

    private byte[] mutateOnce(byte[] original, int hotEnd) {
        if (original.length == 0) {
            return new byte[] {(byte) random.nextInt()};
        }
        byte[] bytes = original.clone();
        int position = position(bytes.length, hotEnd);
        switch (random.nextInt(7)) {
            case 0 -> bytes[position] ^= (byte) (1 << random.nextInt(8));
            case 1 -> bytes[position] = (byte) random.nextInt();
            case 2 -> bytes = Arrays.copyOf(bytes, position);
            case 3 -> {
                byte[] inserted = new byte[1 + random.nextInt(16)];
                random.nextBytes(inserted);
                bytes = splice(bytes, position, 0, inserted);
            }
            case 4 -> bytes = splice(bytes, position, Math.min(1 + random.nextInt(16), bytes.length - position), new byte[0]);
            case 5 -> writeLittleEndian(bytes, position, INTERESTING[random.nextInt(INTERESTING.length)], 8);
            default -> writeLittleEndian(bytes, position, INTERESTING[random.nextInt(INTERESTING.length)], 4);
        }
        return bytes;
    }

    private int position(int length, int hotEnd) {
        int bound = random.nextInt(10) < 8 ? Math.min(hotEnd, length) : length;
        return random.nextInt(Math.max(bound, 1));
    }

    /** Writes the low {@code width} bytes of {@code value} at {@code position}, clipped to the array. */
    public static void writeLittleEndian(byte[] bytes, int position, long value, int width) {
        for (int i = 0; i < width && position + i < bytes.length; i++) {
            bytes[position + i] = (byte) (value >>> (8 * i));
        }
    }

    static byte[] splice(byte[] bytes, int at, int removed, byte[] inserted) {
        byte[] out = new byte[bytes.length - removed + inserted.length];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(inserted, 0, out, at, inserted.length);
        System.arraycopy(bytes, at + removed, out, at + inserted.length, bytes.length - at - removed);
        return out;
    }
}

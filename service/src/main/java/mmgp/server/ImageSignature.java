package mmgp.server;

import java.io.IOException;
import java.io.InputStream;

/**
 * Tells an uploaded image from a video by its first bytes: the signatures of the image formats
 * the understanding model reads (PNG, JPEG, BMP, GIF). Anything else is taken for a video and left
 * to the video decoder, which names what it cannot read.
 */
final class ImageSignature {
    private static final int HEAD = 8;

    private ImageSignature() {}

    static boolean isImage(InputStream in) throws IOException {
        return isImage(in.readNBytes(HEAD));
    }

    static boolean isImage(byte[] b) {
        return startsWith(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)
                || startsWith(b, 0xFF, 0xD8, 0xFF)
                || startsWith(b, 'G', 'I', 'F', '8')
                || startsWith(b, 'B', 'M');
    }

    /** The file extension the image's format is known by; "bin" for anything else. */
    static String extension(byte[] b) {
        if (startsWith(b, 0x89, 'P', 'N', 'G')) return "png";
        if (startsWith(b, 0xFF, 0xD8, 0xFF)) return "jpg";
        if (startsWith(b, 'G', 'I', 'F', '8')) return "gif";
        if (startsWith(b, 'B', 'M')) return "bmp";
        return "bin";
    }

    private static boolean startsWith(byte[] b, int... signature) {
        if (b.length < signature.length) return false;
        for (int i = 0; i < signature.length; i++) if ((b[i] & 0xFF) != signature[i]) return false;
        return true;
    }
}

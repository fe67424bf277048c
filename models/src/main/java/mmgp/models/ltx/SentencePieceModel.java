package mmgp.models.ltx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A sentencepiece unigram model read from its {@code ModelProto} ({@code spiece.model}), encoding
 * and decoding as sentencepiece's {@code SentencePieceProcessor} does (checked against 0.1.97):
 * normalize with the precompiled character map and the whitespace rules, replace spaces by "▁",
 * segment by Viterbi over piece scores with the optimized encoder's tie-breaking, and emit runs
 * of unknown characters as one unk piece (or as UTF-8 byte pieces under byte_fallback).
 *
 * <p>Text is handled as UTF-8 bytes throughout, as sentencepiece does, so lattice positions and
 * the character map's keys are byte offsets. Only UNIGRAM models are accepted.
 */
public final class SentencePieceModel {
    /** ModelProto.SentencePiece.Type, in proto order (NORMAL = 1 … BYTE = 6). */
    public enum PieceType { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    /** One vocabulary entry. */
    public record Piece(String text, float score, PieceType type) {}

    /** One piece of an encoding: its text and id. Merged unknown runs carry their normalized text. */
    public record Encoded(String piece, int id) {}

    private static final byte[] SPACE_SYMBOL = "\u2581".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REPLACEMENT_CHARACTER = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};
    /** unigram_model.cc's kUnkPenalty: an unknown character scores this far below the worst piece. */
    private static final float UNK_PENALTY = 10f;

    private final List<Piece> pieces;
    private final Map<String, Integer> normalIds = new HashMap<>();   // NORMAL, USER_DEFINED, UNUSED: the lattice's pieces
    private final Map<String, Integer> reservedIds = new HashMap<>(); // CONTROL, UNKNOWN, BYTE: looked up first
    private final ByteTrie trie = new ByteTrie();
    private final int unkId;
    private final float minScore;
    private final float maxScore;
    private final boolean byteFallback;
    private final String unkSurface;
    private final Normalizer normalizer;
    private final Normalizer denormalizer; // null unless the model has a denormalizer charsmap

    private SentencePieceModel(List<Piece> pieces, TrainerSpec trainer, NormalizerSpec normalizerSpec, NormalizerSpec denormalizerSpec) {
        if (trainer.modelType() != 1) {
            String name = switch (trainer.modelType()) {
                case 2 -> "BPE";
                case 3 -> "WORD";
                case 4 -> "CHAR";
                default -> "type " + trainer.modelType();
            };
            throw new IllegalArgumentException("only UNIGRAM sentencepiece models are supported, this one is " + name);
        }
        if (pieces.isEmpty()) throw new IllegalArgumentException("sentencepiece model has no pieces");
        this.pieces = List.copyOf(pieces);
        this.byteFallback = trainer.byteFallback();
        this.unkSurface = trainer.unkSurface();

        int unk = -1;
        // sentencepiece starts min at FLT_MAX and max at FLT_MIN (the smallest positive float), so
        // with all-negative scores max_score stays FLT_MIN; user-defined pieces score from it.
        float min = Float.MAX_VALUE, max = Float.MIN_NORMAL;
        ByteTrie userDefined = new ByteTrie();
        boolean hasUserDefined = false;
        int bytePieces = 0;
        for (int id = 0; id < pieces.size(); id++) {
            Piece p = pieces.get(id);
            if (p.text().isEmpty()) throw new IllegalArgumentException("piece " + id + " is empty");
            boolean normal = p.type() == PieceType.NORMAL || p.type() == PieceType.USER_DEFINED || p.type() == PieceType.UNUSED;
            if ((normal ? normalIds : reservedIds).putIfAbsent(p.text(), id) != null) {
                throw new IllegalArgumentException("piece " + p.text() + " is defined twice");
            }
            if (normal) trie.put(p.text().getBytes(StandardCharsets.UTF_8), id);
            switch (p.type()) {
                case NORMAL -> {
                    min = Math.min(min, p.score());
                    max = Math.max(max, p.score());
                }
                case UNKNOWN -> {
                    if (unk >= 0) throw new IllegalArgumentException("unk is defined twice (ids " + unk + " and " + id + ")");
                    unk = id;
                }
                case USER_DEFINED -> {
                    userDefined.put(p.text().getBytes(StandardCharsets.UTF_8), id);
                    hasUserDefined = true;
                }
                case BYTE -> {
                    if (!byteFallback) throw new IllegalArgumentException("byte piece " + p.text() + " found although byte_fallback is false");
                    if (pieceToByte(p.text()) < 0) throw new IllegalArgumentException("byte piece " + p.text() + " is invalid");
                    bytePieces++;
                }
                default -> {}
            }
        }
        if (unk < 0) throw new IllegalArgumentException("sentencepiece model defines no unk piece");
        if (byteFallback && bytePieces != 256) throw new IllegalArgumentException("byte_fallback needs 256 byte pieces, found " + bytePieces);
        this.unkId = unk;
        this.minScore = min;
        this.maxScore = max;
        // User-defined symbols are matched before normalization, so they survive it verbatim.
        this.normalizer = new Normalizer(normalizerSpec, trainer.treatWhitespaceAsSuffix(), hasUserDefined ? userDefined : null);
        this.denormalizer = denormalizerSpec != null && denormalizerSpec.charsmap().length > 0
                ? new Normalizer(denormalizerSpec, false, null) : null;
    }

    /** Reads a serialized ModelProto ({@code spiece.model}). */
    public static SentencePieceModel load(Path file) throws IOException {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a serialized ModelProto. */
    public static SentencePieceModel parse(byte[] proto) {
        List<Piece> pieces = new ArrayList<>();
        TrainerSpec trainer = TrainerSpec.DEFAULT;
        NormalizerSpec normalizer = NormalizerSpec.DEFAULT;
        NormalizerSpec denormalizer = null;
        ProtoReader r = new ProtoReader(proto, 0, proto.length);
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> pieces.add(readPiece(r.message(tag)));
                case 2 -> trainer = TrainerSpec.read(r.message(tag));
                case 3 -> normalizer = NormalizerSpec.read(r.message(tag));
                case 5 -> denormalizer = NormalizerSpec.read(r.message(tag));
                default -> r.skip(tag);
            }
        }
        return new SentencePieceModel(pieces, trainer, normalizer, denormalizer);
    }

    private static Piece readPiece(ProtoReader r) {
        String text = "";
        float score = 0;
        int type = 1;
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> text = r.string(tag);
                case 2 -> score = Float.intBitsToFloat(r.fixed32(tag));
                case 3 -> type = (int) r.varint(tag);
                default -> r.skip(tag);
            }
        }
        if (type < 1 || type > 6) throw new IllegalArgumentException("piece " + text + " has unknown type " + type);
        return new Piece(text, score, PieceType.values()[type - 1]);
    }

    // ---------------------------------------------------------------- vocabulary

    /** Number of pieces (sentencepiece's GetPieceSize). */
    public int size() {
        return pieces.size();
    }

    public Piece piece(int id) {
        return pieces.get(id);
    }

    public String idToPiece(int id) {
        return pieces.get(id).text();
    }

    /** sentencepiece's PieceToId: reserved pieces (control, unk, byte) first, then the others, else unk. */
    public int pieceToId(String piece) {
        Integer id = reservedIds.get(piece);
        if (id == null) id = normalIds.get(piece);
        return id != null ? id : unkId;
    }

    public int unkId() {
        return unkId;
    }

    public boolean byteFallback() {
        return byteFallback;
    }

    // ---------------------------------------------------------------- encoding

    /** The normalized form of {@code text} ("▁" for spaces, dummy prefix added), as sentencepiece's Normalize. */
    public String normalize(String text) {
        return new String(normalizer.normalize(utf8(text)), StandardCharsets.UTF_8);
    }

    /** Pieces of {@code text} (sentencepiece's {@code encode(text, out_type=str)}). */
    public List<String> encodeAsPieces(String text) {
        return encode(text).stream().map(Encoded::piece).toList();
    }

    /** Pieces and ids of {@code text}, as sentencepiece's Encode. */
    public List<Encoded> encode(String text) {
        byte[] normalized = normalizer.normalize(utf8(text));
        List<Encoded> out = new ArrayList<>();
        boolean prevUnk = false;
        for (int[] node : viterbi(normalized)) {
            int start = node[0], end = node[1], id = node[2];
            String piece = new String(normalized, start, end - start, StandardCharsets.UTF_8);
            boolean unk = id == unkId;
            if (unk && byteFallback) {
                for (int i = start; i < end; i++) {
                    String bytePiece = String.format("<0x%02X>", normalized[i] & 0xFF);
                    out.add(new Encoded(bytePiece, pieceToId(bytePiece)));
                }
            } else if (unk && prevUnk) {
                // sentencepiece merges a run of unknown characters into one piece, still unk.
                Encoded last = out.removeLast();
                out.add(new Encoded(last.piece() + piece, unkId));
            } else {
                out.add(new Encoded(piece, id));
            }
            prevUnk = unk;
        }
        return out;
    }

    /**
     * unigram Model::EncodeOptimized: the best path ending at each byte offset, scanning
     * characters left to right and keeping the first of equal scores. Scores mix float and
     * double exactly as the C++ does (piece scores are widened and compared in double, stored as
     * float), since ties decide the segmentation. Returns [start, end, id] per piece.
     */
    private List<int[]> viterbi(byte[] s) {
        int n = s.length;
        float[] bestScore = new float[n + 1];
        int[] startsAt = new int[n + 1];
        int[] ids = new int[n + 1];
        Arrays.fill(startsAt, -1);
        float unkScore = minScore - UNK_PENALTY;
        for (int start = 0; start < n; ) {
            float tillHere = bestScore[start];
            int charLen = Math.min(oneCharLen(s[start]), n - start);
            boolean hasSingleNode = false;
            int node = 0;
            for (int key = start; key < n; key++) {
                node = trie.child(node, s[key]);
                if (node < 0) break;
                int id = trie.value(node);
                if (id < 0) continue;
                PieceType type = pieces.get(id).type();
                if (type == PieceType.UNUSED) continue;
                int length = key + 1 - start;
                double score = type == PieceType.USER_DEFINED ? (double) (length * maxScore) - 0.1 : pieces.get(id).score();
                double candidate = score + tillHere;
                int end = key + 1;
                if (startsAt[end] == -1 || candidate > bestScore[end]) {
                    bestScore[end] = (float) candidate;
                    startsAt[end] = start;
                    ids[end] = id;
                }
                if (length == charLen) hasSingleNode = true;
            }
            if (!hasSingleNode) {
                int end = start + charLen;
                float candidate = unkScore + tillHere;
                if (startsAt[end] == -1 || candidate > bestScore[end]) {
                    bestScore[end] = candidate;
                    startsAt[end] = start;
                    ids[end] = unkId;
                }
            }
            start += charLen;
        }
        List<int[]> path = new ArrayList<>();
        for (int end = n; end > 0; end = startsAt[end]) path.add(new int[] {startsAt[end], end, ids[end]});
        return path.reversed();
    }

    // ---------------------------------------------------------------- decoding

    /**
     * sentencepiece's {@code decode(pieces)}: control pieces vanish, "<unk>" becomes the unk
     * surface (" ⁇ "), byte pieces are reassembled into UTF-8, "▁" becomes a space, and the
     * leading space the dummy prefix added is dropped (all leading spaces when extra whitespace
     * is removed).
     */
    public String decodePieces(List<String> encoded) {
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean isBosWs = true, bosWsSeen = false;
        NormalizerSpec spec = normalizer.spec;
        for (String piece : encoded) {
            int id = pieceToId(piece);
            PieceType type = pieces.get(id).type();
            if (type == PieceType.BYTE) {
                bytes.write(pieceToByte(piece));
                continue;
            }
            flushBytes(bytes, text);
            if (bosWsSeen || !text.isEmpty()) isBosWs = false;
            bosWsSeen = false;
            if (type == PieceType.CONTROL) continue;
            if (type == PieceType.UNKNOWN) {
                text.append(idToPiece(id).equals(piece) ? unkSurface : piece);
                continue;
            }
            String p = piece;
            if (isBosWs && (spec.addDummyPrefix() || spec.removeExtraWhitespaces())) {
                if (p.startsWith("\u2581")) {
                    p = p.substring(1);
                    // Removing extra whitespace drops every leading space piece, not just the first.
                    bosWsSeen = !spec.removeExtraWhitespaces();
                }
            }
            text.append(p.replace('\u2581', ' '));
        }
        flushBytes(bytes, text);
        if (denormalizer == null) return text.toString();
        return new String(denormalizer.normalize(text.toString().getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    /** Pending byte pieces as text: each structurally invalid byte becomes U+FFFD, as sentencepiece does. */
    private static void flushBytes(ByteArrayOutputStream bytes, StringBuilder text) {
        if (bytes.size() == 0) return;
        byte[] b = bytes.toByteArray();
        bytes.reset();
        for (int i = 0; i < b.length; ) {
            int len = validUtf8Length(b, i, b.length);
            if (len == 0) {
                text.append('\uFFFD');
                i++;
            } else {
                text.append(new String(b, i, len, StandardCharsets.UTF_8));
                i += len;
            }
        }
    }

    /** "&lt;0xAB&gt;" → 0xAB, or −1 when {@code piece} is not a byte piece. */
    private static int pieceToByte(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(piece.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- UTF-8

    private static byte[] utf8(String text) {
        try {
            // Python refuses to encode lone surrogates; so do we, rather than guess a replacement.
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("text is not valid Unicode (unpaired surrogate): " + e.getMessage(), e);
        }
    }

    /** util.h OneCharLen: the sequence length a lead byte announces (1 for stray continuation bytes). */
    private static int oneCharLen(byte lead) {
        int hi = (lead & 0xFF) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
    }

    /**
     * Bytes of the valid UTF-8 character at {@code pos}, or 0 if malformed (util.cc DecodeUTF8:
     * no overlong forms, no surrogates, nothing above U+10FFFF).
     */
    private static int validUtf8Length(byte[] s, int pos, int end) {
        int b0 = s[pos] & 0xFF;
        int len = end - pos;
        if (b0 < 0x80) return 1;
        if (len >= 2 && (b0 & 0xE0) == 0xC0) {
            int cp = ((b0 & 0x1F) << 6) | (s[pos + 1] & 0x3F);
            return trail(s[pos + 1]) && cp >= 0x80 ? 2 : 0;
        }
        if (len >= 3 && (b0 & 0xF0) == 0xE0) {
            int cp = ((b0 & 0x0F) << 12) | ((s[pos + 1] & 0x3F) << 6) | (s[pos + 2] & 0x3F);
            return trail(s[pos + 1]) && trail(s[pos + 2]) && cp >= 0x800 && validCodepoint(cp) ? 3 : 0;
        }
        if (len >= 4 && (b0 & 0xF8) == 0xF0) {
            int cp = ((b0 & 0x07) << 18) | ((s[pos + 1] & 0x3F) << 12) | ((s[pos + 2] & 0x3F) << 6) | (s[pos + 3] & 0x3F);
            return trail(s[pos + 1]) && trail(s[pos + 2]) && trail(s[pos + 3]) && cp >= 0x10000 && validCodepoint(cp) ? 4 : 0;
        }
        return 0;
    }

    private static boolean trail(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static boolean validCodepoint(int cp) {
        return (cp < 0xD800 || cp > 0xDFFF) && cp <= 0x10FFFF;
    }

    // ---------------------------------------------------------------- normalizer

    /**
     * sentencepiece's normalizer::Normalizer: the longest precompiled-charsmap rule (or a
     * user-defined symbol, or one UTF-8 character) at a time, with leading, trailing and repeated
     * spaces removed when remove_extra_whitespaces is set, and spaces escaped to "▁".
     */
    private static final class Normalizer {
        final NormalizerSpec spec;
        final boolean treatWhitespaceAsSuffix;
        final ByteTrie userDefined;
        final int[] trieUnits;    // Darts-clone double array
        final byte[] replacements; // NUL-terminated normalized strings the trie's values point into

        Normalizer(NormalizerSpec spec, boolean treatWhitespaceAsSuffix, ByteTrie userDefined) {
            this.spec = spec;
            this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
            this.userDefined = userDefined;
            byte[] blob = spec.charsmap();
            if (blob.length == 0) {
                trieUnits = null;
                replacements = null;
                return;
            }
            // <trie size: uint32 LE><double array: uint32 LE units><normalized strings>
            if (blob.length <= 4) throw new IllegalArgumentException("precompiled_charsmap is broken (" + blob.length + " bytes)");
            long trieSize = ByteBuffer.wrap(blob, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
            if (trieSize >= blob.length || trieSize % 4 != 0) {
                throw new IllegalArgumentException("precompiled_charsmap trie size " + trieSize + " does not fit its " + blob.length + " bytes");
            }
            trieUnits = new int[(int) trieSize / 4];
            ByteBuffer.wrap(blob, 4, (int) trieSize).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(trieUnits);
            replacements = Arrays.copyOfRange(blob, 4 + (int) trieSize, blob.length);
        }

        /** Normalizer::Normalize on UTF-8 bytes. */
        byte[] normalize(byte[] input) {
            int n = input.length, pos = 0;
            Prefix p = new Prefix();
            if (spec.removeExtraWhitespaces()) {
                while (pos < n) {
                    normalizePrefix(input, pos, p);
                    if (!(p.len == 1 && p.src[p.off] == ' ')) break;
                    pos += p.consumed;
                }
            }
            if (pos == n) return new byte[0];
            ByteArrayOutputStream out = new ByteArrayOutputStream(3 * (n - pos) + 3);
            if (!treatWhitespaceAsSuffix && spec.addDummyPrefix()) addSpace(out);
            boolean prevSpace = spec.removeExtraWhitespaces();
            while (pos < n) {
                normalizePrefix(input, pos, p);
                int from = p.off, to = p.off + p.len;
                while (prevSpace && from < to && p.src[from] == ' ') from++;
                if (from < to) {
                    for (int i = from; i < to; i++) {
                        if (spec.escapeWhitespaces() && p.src[i] == ' ') out.writeBytes(SPACE_SYMBOL);
                        else out.write(p.src[i]);
                    }
                    prevSpace = p.src[to - 1] == ' ';
                }
                pos += p.consumed;
                if (!spec.removeExtraWhitespaces()) prevSpace = false;
            }
            byte[] result = out.toByteArray();
            int length = result.length;
            if (spec.removeExtraWhitespaces()) {
                byte[] space = spec.escapeWhitespaces() ? SPACE_SYMBOL : new byte[] {' '};
                while (length >= space.length && Arrays.equals(result, length - space.length, length, space, 0, space.length)) length -= space.length;
            }
            if (treatWhitespaceAsSuffix && spec.addDummyPrefix()) {
                ByteArrayOutputStream suffixed = new ByteArrayOutputStream(length + 3);
                suffixed.write(result, 0, length);
                addSpace(suffixed);
                return suffixed.toByteArray();
            }
            return length == result.length ? result : Arrays.copyOf(result, length);
        }

        private void addSpace(ByteArrayOutputStream out) {
            if (spec.escapeWhitespaces()) out.writeBytes(SPACE_SYMBOL);
            else out.write(' ');
        }

        /** Normalizer::NormalizePrefix: what the text at {@code pos} normalizes to, and how many bytes that consumes. */
        private void normalizePrefix(byte[] s, int pos, Prefix p) {
            if (userDefined != null) {
                int len = userDefined.longestPrefix(s, pos);
                if (len > 0) {
                    p.set(s, pos, len, len);
                    return;
                }
            }
            if (trieUnits != null) {
                long match = longestRule(s, pos);
                if (match >= 0) {
                    int consumed = (int) (match >>> 32), at = (int) match;
                    if (at >= replacements.length) throw new IllegalStateException("precompiled_charsmap points past its strings");
                    int end = at;
                    while (end < replacements.length && replacements[end] != 0) end++;
                    p.set(replacements, at, end - at, consumed);
                    return;
                }
            }
            int len = validUtf8Length(s, pos, s.length);
            if (len == 0) p.set(REPLACEMENT_CHARACTER, 0, 3, 1); // a malformed byte becomes U+FFFD, consuming one byte
            else p.set(s, pos, len, len);
        }

        /**
         * Darts-clone commonPrefixSearch keeping the longest hit: (consumed bytes << 32 | value), or
         * −1. Units: bit 8 has_leaf, low 31 bits value, label = bits 0–7 plus the MSB (set on leaf
         * units, so they never match a byte), offset = bits 10–31 shifted by 8 when bit 9 is set.
         */
        private long longestRule(byte[] s, int pos) {
            long best = -1;
            int node = offset(trieUnits[0]);
            for (int i = pos; i < s.length; i++) {
                int c = s[i] & 0xFF;
                node ^= c;
                if (node < 0 || node >= trieUnits.length) break;
                int unit = trieUnits[node];
                if ((unit & 0x800000FF) != c) break;
                node ^= offset(unit);
                if (node < 0 || node >= trieUnits.length) break;
                if (((unit >>> 8) & 1) == 1) best = ((long) (i + 1 - pos) << 32) | (trieUnits[node] & 0x7FFFFFFF);
            }
            return best;
        }

        private static int offset(int unit) {
            return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
        }
    }

    /** A normalized prefix: bytes {@code src[off, off+len)} standing for {@code consumed} input bytes. */
    private static final class Prefix {
        byte[] src;
        int off, len, consumed;

        void set(byte[] src, int off, int len, int consumed) {
            this.src = src;
            this.off = off;
            this.len = len;
            this.consumed = consumed;
        }
    }

    /** A byte-labelled trie from piece bytes to ids; children kept in small per-node arrays. */
    private static final class ByteTrie {
        private byte[][] labels = new byte[64][];
        private int[][] targets = new int[64][];
        private int[] values = filled(64);
        private int size = 1;

        void put(byte[] key, int value) {
            int node = 0;
            for (byte b : key) {
                int next = child(node, b);
                node = next >= 0 ? next : addChild(node, b);
            }
            if (values[node] < 0) values[node] = value;
        }

        int child(int node, byte b) {
            byte[] l = labels[node];
            if (l == null) return -1;
            for (int i = 0; i < l.length; i++) if (l[i] == b) return targets[node][i];
            return -1;
        }

        int value(int node) {
            return values[node];
        }

        /** Length of the longest key that prefixes {@code s[pos..]}, 0 if none. */
        int longestPrefix(byte[] s, int pos) {
            int node = 0, best = 0;
            for (int i = pos; i < s.length; i++) {
                node = child(node, s[i]);
                if (node < 0) break;
                if (values[node] >= 0) best = i + 1 - pos;
            }
            return best;
        }

        private int addChild(int node, byte b) {
            if (size == values.length) {
                int capacity = size * 2;
                labels = Arrays.copyOf(labels, capacity);
                targets = Arrays.copyOf(targets, capacity);
                int[] grown = filled(capacity);
                System.arraycopy(values, 0, grown, 0, size);
                values = grown;
            }
            int created = size++;
            byte[] l = labels[node];
            int count = l == null ? 0 : l.length;
            labels[node] = l == null ? new byte[1] : Arrays.copyOf(l, count + 1);
            targets[node] = l == null ? new int[1] : Arrays.copyOf(targets[node], count + 1);
            labels[node][count] = b;
            targets[node][count] = created;
            return created;
        }

        private static int[] filled(int n) {
            int[] a = new int[n];
            Arrays.fill(a, -1);
            return a;
        }
    }

    // ---------------------------------------------------------------- protobuf

    /** The TrainerSpec fields encoding depends on (proto2 defaults when absent). */
    private record TrainerSpec(int modelType, boolean treatWhitespaceAsSuffix, boolean byteFallback, String unkSurface) {
        static final TrainerSpec DEFAULT = new TrainerSpec(1, false, false, " \u2047 ");

        static TrainerSpec read(ProtoReader r) {
            int modelType = DEFAULT.modelType();
            boolean suffix = DEFAULT.treatWhitespaceAsSuffix(), byteFallback = DEFAULT.byteFallback();
            String unkSurface = DEFAULT.unkSurface();
            while (r.more()) {
                int tag = r.tag();
                switch (tag >>> 3) {
                    case 3 -> modelType = (int) r.varint(tag);
                    case 24 -> suffix = r.varint(tag) != 0;
                    case 35 -> byteFallback = r.varint(tag) != 0;
                    case 44 -> unkSurface = r.string(tag);
                    default -> r.skip(tag);
                }
            }
            return new TrainerSpec(modelType, suffix, byteFallback, unkSurface);
        }
    }

    /** NormalizerSpec (also used for the denormalizer). */
    private record NormalizerSpec(String name, byte[] charsmap, boolean addDummyPrefix, boolean removeExtraWhitespaces, boolean escapeWhitespaces) {
        static final NormalizerSpec DEFAULT = new NormalizerSpec("", new byte[0], true, true, true);

        static NormalizerSpec read(ProtoReader r) {
            String name = "";
            byte[] charsmap = new byte[0];
            boolean dummy = true, removeExtra = true, escape = true;
            while (r.more()) {
                int tag = r.tag();
                switch (tag >>> 3) {
                    case 1 -> name = r.string(tag);
                    case 2 -> charsmap = r.bytes(tag);
                    case 3 -> dummy = r.varint(tag) != 0;
                    case 4 -> removeExtra = r.varint(tag) != 0;
                    case 5 -> escape = r.varint(tag) != 0;
                    default -> r.skip(tag);
                }
            }
            return new NormalizerSpec(name, charsmap, dummy, removeExtra, escape);
        }
    }

    /** Just enough of the protobuf wire format to read a ModelProto; wrong wire types are errors. */
    private static final class ProtoReader {
        private final byte[] buf;
        private int pos;
        private final int end;

        ProtoReader(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int tag() {
            long tag = readVarint();
            if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) throw new IllegalArgumentException("malformed protobuf tag " + tag + " at byte " + pos);
            return (int) tag;
        }

        long varint(int tag) {
            expect(tag, 0);
            return readVarint();
        }

        int fixed32(int tag) {
            expect(tag, 5);
            need(4);
            int v = ByteBuffer.wrap(buf, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            pos += 4;
            return v;
        }

        byte[] bytes(int tag) {
            expect(tag, 2);
            int len = length();
            byte[] out = Arrays.copyOfRange(buf, pos, pos + len);
            pos += len;
            return out;
        }

        String string(int tag) {
            return new String(bytes(tag), StandardCharsets.UTF_8);
        }

        ProtoReader message(int tag) {
            expect(tag, 2);
            int len = length();
            ProtoReader sub = new ProtoReader(buf, pos, pos + len);
            pos += len;
            return sub;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> readVarint();
                case 1 -> advance(8);
                case 2 -> advance(length());
                case 5 -> advance(4);
                default -> throw new IllegalArgumentException("unsupported protobuf wire type " + (tag & 7) + " (field " + (tag >>> 3) + ")");
            }
        }

        private void expect(int tag, int wireType) {
            if ((tag & 7) != wireType) {
                throw new IllegalArgumentException("protobuf field " + (tag >>> 3) + " has wire type " + (tag & 7) + ", expected " + wireType);
            }
        }

        private int length() {
            long len = readVarint();
            if (len < 0 || len > end - pos) throw new IllegalArgumentException("protobuf field length " + len + " runs past the message");
            return (int) len;
        }

        private void advance(int n) {
            need(n);
            pos += n;
        }

        private void need(int n) {
            if (n > end - pos) throw new IllegalArgumentException("protobuf message truncated at byte " + pos);
        }

        private long readVarint() {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1);
                byte b = buf[pos++];
                value |= (long) (b & 0x7F) << shift;
                if (b >= 0) return value;
            }
            throw new IllegalArgumentException("malformed protobuf varint at byte " + pos);
        }
    }
}

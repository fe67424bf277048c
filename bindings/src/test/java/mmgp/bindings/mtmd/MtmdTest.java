package mmgp.bindings.mtmd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import mmgp.bindings.CTypes;
import mmgp.bindings.Downcalls;
import mmgp.bindings.NativeLibraries;
import mmgp.bindings.NativeLibrary;
import mmgp.bindings.llama.Llama;
import mmgp.bindings.llama.LlamaContextParams;
import mmgp.bindings.llama.LlamaException;
import mmgp.bindings.llama.LlamaLog;
import mmgp.bindings.llama.TinyLlamaModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libmtmd calls that need no projector model: params, bitmaps, chunk lists, failure paths. */
class MtmdTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
        LlamaLog.silence();
        Mtmd.helperLogSet(LlamaLog.callback(), MemorySegment.NULL);
    }

    @Test
    void defaultMarkerIsMedia() {
        assertThat(Mtmd.defaultMarker()).isEqualTo("<__media__>");
    }

    @Test
    void contextDefaultsAreMtmdsDefaults() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = Mtmd.contextParamsDefault(arena);
            assertThat(p.byteSize()).isEqualTo(96);
            assertThat(MtmdContextParams.useGpu(p)).isTrue();
            assertThat(p.get(CTypes.PTR, MtmdContextParams.offset("device"))).isEqualTo(MemorySegment.NULL);
            assertThat(MtmdContextParams.printTimings(p)).isTrue();
            assertThat(MtmdContextParams.nThreads(p)).isEqualTo(4);
            assertThat(p.get(CTypes.PTR, MtmdContextParams.offset("image_marker"))).isEqualTo(MemorySegment.NULL);
            assertThat(MtmdContextParams.mediaMarker(p).reinterpret(64).getString(0)).isEqualTo("<__media__>");
            assertThat(MtmdContextParams.flashAttnType(p)).isEqualTo(LlamaContextParams.FLASH_ATTN_AUTO);
            assertThat(MtmdContextParams.warmup(p)).isTrue();
            assertThat(MtmdContextParams.imageMinTokens(p)).isEqualTo(-1);
            assertThat(MtmdContextParams.imageMaxTokens(p)).isEqualTo(-1);
            assertThat(p.get(CTypes.PTR, MtmdContextParams.offset("cb_eval"))).isEqualTo(MemorySegment.NULL);
            assertThat(MtmdContextParams.batchMaxTokens(p)).isEqualTo(1024);
            assertThat(p.get(CTypes.PTR, MtmdContextParams.offset("progress_callback"))).isEqualTo(MemorySegment.NULL);
        }
    }

    @Test
    void helperOptionDefaults() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opt = Mtmd.helperInitOptDefault(arena);
            assertThat(opt.byteSize()).isEqualTo(24);
            assertThat(opt.get(CTypes.FLOAT, 0)).isEqualTo(4.0f);
            assertThat(opt.get(CTypes.PTR, 8)).isEqualTo(MemorySegment.NULL);
            assertThat(opt.get(CTypes.I64, 16)).isEqualTo(5000L);
        }
    }

    @Test
    void rgbBitmapRoundTrips() {
        int nx = 5, ny = 3;
        byte[] rgb = new byte[3 * nx * ny];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) (i * 7);
        MemorySegment bitmap = Mtmd.bitmapInit(nx, ny, rgb);
        try {
            assertThat(Mtmd.bitmapGetNx(bitmap)).isEqualTo(nx);
            assertThat(Mtmd.bitmapGetNy(bitmap)).isEqualTo(ny);
            assertThat(Mtmd.bitmapGetData(bitmap).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(rgb);
            Mtmd.bitmapSetId(bitmap, "frame-0007");
            Mtmd.bitmapSetMergeable(bitmap, true);
        } finally {
            Mtmd.bitmapFree(bitmap);
        }
        assertThatThrownBy(() -> Mtmd.bitmapInit(nx, ny, new byte[10])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void imageFileDecodesIntoABitmap() throws IOException {
        BufferedImage image = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 4; x++) image.setRGB(x, y, (x * 60) << 16 | (y * 200) << 8 | 17);
        Path png = dir.resolve("pixels.png");
        assertThat(ImageIO.write(image, "png", png.toFile())).isTrue();
        MemorySegment bitmap = Mtmd.helperBitmapInitFromFile(MemorySegment.NULL, png);
        try {
            assertThat(Mtmd.bitmapGetNx(bitmap)).isEqualTo(4);
            assertThat(Mtmd.bitmapGetNy(bitmap)).isEqualTo(2);
            byte[] data = Mtmd.bitmapGetData(bitmap).toArray(ValueLayout.JAVA_BYTE);
            assertThat(data).hasSize(24);
            int pixel = (1 * 4 + 3) * 3; // x=3, y=1
            assertThat(Byte.toUnsignedInt(data[pixel])).isEqualTo(180);
            assertThat(Byte.toUnsignedInt(data[pixel + 1])).isEqualTo(200);
            assertThat(Byte.toUnsignedInt(data[pixel + 2])).isEqualTo(17);
        } finally {
            Mtmd.bitmapFree(bitmap);
        }
        Path missing = dir.resolve("missing.png");
        assertThatThrownBy(() -> Mtmd.helperBitmapInitFromFile(MemorySegment.NULL, missing))
                .isInstanceOf(LlamaException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void emptyChunkList() {
        MemorySegment chunks = Mtmd.inputChunksInit();
        try {
            assertThat(Mtmd.inputChunksSize(chunks)).isZero();
            assertThat(Mtmd.helperGetNTokens(chunks)).isZero();
            assertThat(Mtmd.helperGetNPos(chunks)).isZero();
            assertThatThrownBy(() -> Mtmd.inputChunksGet(chunks, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        } finally {
            Mtmd.inputChunksFree(chunks);
        }
    }

    /**
     * libmtmd's own fixture (test-mtmd-c-api.c): a 5-token text chunk and an image chunk
     * "image_1" of 4x4 patches over 16 batch entries, i.e. 256 embedding tokens.
     */
    private static final MethodHandle TEST_CREATE_INPUT_CHUNKS =
            Downcalls.bind(NativeLibrary.MTMD, "mtmd_test_create_input_chunks", CTypes.PTR);

    @Test
    void chunkAccessorsReadMtmdsTestChunks() throws Throwable {
        MemorySegment chunks = (MemorySegment) TEST_CREATE_INPUT_CHUNKS.invokeExact();
        try {
            assertThat(Mtmd.inputChunksSize(chunks)).isEqualTo(2);
            MemorySegment text = Mtmd.inputChunksGet(chunks, 0);
            assertThat(Mtmd.inputChunkGetType(text)).isEqualTo(Mtmd.CHUNK_TYPE_TEXT);
            assertThat(Mtmd.inputChunkGetTokensText(text)).containsExactly(1, 2, 3, 4, 5);
            assertThat(Mtmd.inputChunkGetNTokens(text)).isEqualTo(5);
            assertThat(Mtmd.inputChunkGetNPos(text)).isEqualTo(5);
            assertThat(Mtmd.inputChunkGetId(text)).isNull();
            MemorySegment image = Mtmd.inputChunksGet(chunks, 1);
            assertThat(Mtmd.inputChunkGetType(image)).isEqualTo(Mtmd.CHUNK_TYPE_IMAGE);
            assertThat(Mtmd.inputChunkGetTokensText(image)).isEmpty();
            assertThat(Mtmd.inputChunkGetNTokens(image)).isEqualTo(256);
            assertThat(Mtmd.inputChunkGetId(image)).isEqualTo("image_1");
            assertThat(Mtmd.helperGetNTokens(chunks)).isEqualTo(261);
            assertThat(Mtmd.helperGetNPos(chunks)).isEqualTo(5 + Mtmd.inputChunkGetNPos(image));
        } finally {
            Mtmd.inputChunksFree(chunks);
        }
    }

    @Test
    void missingOrInvalidProjectorIsAJavaExceptionNamingTheFile() throws IOException {
        Llama.backendInit();
        Path modelFile = TinyLlamaModel.write(dir.resolve("text-model.gguf"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment model = Llama.modelLoadFromFile(modelFile, Llama.modelDefaultParams(arena));
            try {
                MemorySegment params = Mtmd.contextParamsDefault(arena);
                MtmdContextParams.useGpu(params, false);
                MtmdContextParams.warmup(params, false);
                Path missing = dir.resolve("missing-mmproj.gguf");
                assertThatThrownBy(() -> Mtmd.initFromFile(missing, model, params))
                        .isInstanceOf(LlamaException.class).hasMessageContaining(missing.toString()).hasMessageContaining("no such file");
                // A valid GGUF that is not a projector: the text model itself.
                assertThatThrownBy(() -> Mtmd.initFromFile(modelFile, model, params))
                        .isInstanceOf(LlamaException.class).hasMessageContaining(modelFile.toString());
                Path garbage = Files.write(dir.resolve("garbage-mmproj.gguf"), new byte[64]);
                assertThatThrownBy(() -> Mtmd.initFromFile(garbage, model, params))
                        .isInstanceOf(LlamaException.class).hasMessageContaining(garbage.toString());
            } finally {
                Llama.modelFree(model);
            }
        }
    }
}

package mmgp.bindings.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import mmgp.bindings.CTypes;
import mmgp.bindings.NativeLibraries;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The by-value default-parameter structs come back with the values llama.cpp's source sets
 * (src/llama-model.cpp llama_model_default_params, src/llama-context.cpp
 * llama_context_default_params): a shifted field would show up as a wrong value here.
 */
class LlamaDefaultParamsTest {
    private static final int GGML_TYPE_F16 = 1;

    @BeforeAll
    static void libs() {
        assumeTrue(NativeLibraries.available(), "native libs not built");
    }

    @Test
    void modelDefaultsAreLlamaCppsDefaults() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = Llama.modelDefaultParams(arena);
            assertThat(p.byteSize()).isEqualTo(80);
            assertThat(LlamaModelParams.devices(p)).isEqualTo(MemorySegment.NULL);
            assertThat(LlamaModelParams.nGpuLayers(p)).isEqualTo(-1);
            assertThat(LlamaModelParams.splitMode(p)).isEqualTo(LlamaModelParams.SPLIT_MODE_LAYER);
            assertThat(LlamaModelParams.loadMode(p)).isEqualTo(LlamaModelParams.LOAD_MODE_AUTO);
            assertThat(LlamaModelParams.lazyMode(p)).isEqualTo(LlamaModelParams.LAZY_MODE_AUTO);
            assertThat(LlamaModelParams.mainGpu(p)).isZero();
            assertThat(LlamaModelParams.vocabOnly(p)).isFalse();
            assertThat(LlamaModelParams.checkTensors(p)).isFalse();
            assertThat(LlamaModelParams.useExtraBufts(p)).isTrue();
            assertThat(LlamaModelParams.noHost(p)).isFalse();
            assertThat(LlamaModelParams.noAlloc(p)).isFalse();
            assertThat(p.get(CTypes.BOOL, LlamaModelParams.offset("load_mtp"))).isFalse();
            assertThat(p.get(CTypes.PTR, LlamaModelParams.offset("kv_overrides"))).isEqualTo(MemorySegment.NULL);
        }
    }

    @Test
    void contextDefaultsAreLlamaCppsDefaults() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = Llama.contextDefaultParams(arena);
            assertThat(p.byteSize()).isEqualTo(160);
            assertThat(LlamaContextParams.nCtx(p)).isEqualTo(512);
            assertThat(LlamaContextParams.nBatch(p)).isEqualTo(2048);
            assertThat(LlamaContextParams.nUbatch(p)).isEqualTo(512);
            assertThat(LlamaContextParams.nSeqMax(p)).isEqualTo(1);
            assertThat(p.get(CTypes.INT, LlamaContextParams.offset("n_outputs_max_per_seq"))).isEqualTo(1);
            assertThat(LlamaContextParams.nThreads(p)).isEqualTo(4);
            assertThat(LlamaContextParams.nThreadsBatch(p)).isEqualTo(4);
            assertThat(p.get(CTypes.ENUM, LlamaContextParams.offset("rope_scaling_type"))).isEqualTo(LlamaContextParams.ROPE_SCALING_UNSPECIFIED);
            assertThat(LlamaContextParams.poolingType(p)).isEqualTo(LlamaContextParams.POOLING_UNSPECIFIED);
            assertThat(LlamaContextParams.attentionType(p)).isEqualTo(LlamaContextParams.ATTENTION_UNSPECIFIED);
            assertThat(LlamaContextParams.flashAttnType(p)).isEqualTo(LlamaContextParams.FLASH_ATTN_AUTO);
            assertThat(p.get(CTypes.FLOAT, LlamaContextParams.offset("yarn_ext_factor"))).isEqualTo(-1f);
            assertThat(p.get(CTypes.FLOAT, LlamaContextParams.offset("defrag_thold"))).isEqualTo(-1f);
            assertThat(LlamaContextParams.typeK(p)).isEqualTo(GGML_TYPE_F16);
            assertThat(LlamaContextParams.typeV(p)).isEqualTo(GGML_TYPE_F16);
            assertThat(LlamaContextParams.embeddings(p)).isFalse();
            assertThat(LlamaContextParams.offloadKqv(p)).isTrue();
            assertThat(LlamaContextParams.noPerf(p)).isTrue();
            assertThat(LlamaContextParams.opOffload(p)).isTrue();
            assertThat(LlamaContextParams.swaFull(p)).isTrue();
            assertThat(LlamaContextParams.kvUnified(p)).isFalse();
            assertThat(p.get(CTypes.SIZE_T, LlamaContextParams.offset("n_samplers"))).isZero();
            assertThat(p.get(CTypes.PTR, LlamaContextParams.offset("ctx_other"))).isEqualTo(MemorySegment.NULL);
        }
    }

    @Test
    void settersWriteWhereTheGettersRead() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = Llama.contextDefaultParams(arena);
            LlamaContextParams.nCtx(p, 1024);
            LlamaContextParams.nThreads(p, 2);
            LlamaContextParams.embeddings(p, true);
            LlamaContextParams.flashAttnType(p, LlamaContextParams.FLASH_ATTN_DISABLED);
            assertThat(LlamaContextParams.nCtx(p)).isEqualTo(1024);
            assertThat(LlamaContextParams.nThreads(p)).isEqualTo(2);
            assertThat(LlamaContextParams.embeddings(p)).isTrue();
            assertThat(LlamaContextParams.flashAttnType(p)).isEqualTo(LlamaContextParams.FLASH_ATTN_DISABLED);
            // The neighbours are untouched.
            assertThat(LlamaContextParams.nBatch(p)).isEqualTo(2048);
            assertThat(LlamaContextParams.offloadKqv(p)).isTrue();
        }
    }
}

package mmgp.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The families pick exactly the files their converters read from the real repositories' layouts. */
class FilePatternsTest {
    @Test
    void amusedTakesThePipelineFoldersButNotVariantsOrBinaries() {
        FilePatterns p = ModelFamily.AMUSED.files();
        for (String f : List.of("model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json", "text_encoder/model.safetensors",
                "tokenizer/merges.txt", "tokenizer/vocab.json", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json",
                "transformer/config.json", "transformer/diffusion_pytorch_model.safetensors", "vqvae/config.json", "vqvae/diffusion_pytorch_model.safetensors")) {
            assertThat(p.matches(f)).as(f).isTrue();
        }
        for (String f : List.of("README.md", ".gitattributes", "text_encoder/model.fp16.safetensors", "transformer/diffusion_pytorch_model.fp16.safetensors",
                "transformer/diffusion_pytorch_model.bin", "assets/collage_small.png", "vqvae/sub/config.json")) {
            assertThat(p.matches(f)).as(f).isFalse();
        }
    }

    @Test
    void ltxTakesTheDiffusersFoldersAndSkipsTheRootCheckpoints() {
        FilePatterns p = ModelFamily.LTX.files();
        for (String f : List.of("model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json",
                "text_encoder/model-00001-of-00004.safetensors", "text_encoder/model.safetensors.index.json", "tokenizer/spiece.model",
                "tokenizer/tokenizer_config.json", "tokenizer/added_tokens.json", "transformer/config.json",
                "transformer/diffusion_pytorch_model-00002-of-00002.safetensors", "transformer/diffusion_pytorch_model.safetensors.index.json",
                "vae/config.json", "vae/diffusion_pytorch_model.safetensors")) {
            assertThat(p.matches(f)).as(f).isTrue();
        }
        for (String f : List.of("ltx-video-2b-v0.9.safetensors", "ltx-video-2b-v0.9.5.safetensors", "ltxv-13b-0.9.7-dev.safetensors",
                "media/ltx-video_example_00001.gif", "README.md", "ltxv-13b-0.9.7-dev.yaml")) {
            assertThat(p.matches(f)).as(f).isFalse();
        }
    }

    @Test
    void smolvlmTakesTopLevelFilesOnly() {
        FilePatterns p = ModelFamily.SMOLVLM.files();
        for (String f : List.of("config.json", "model.safetensors", "merges.txt", "vocab.json", "tokenizer.json", "chat_template.json",
                "preprocessor_config.json", "processor_config.json", "generation_config.json", "added_tokens.json")) {
            assertThat(p.matches(f)).as(f).isTrue();
        }
        for (String f : List.of("onnx/model.onnx", "onnx/vision_encoder_fp16.onnx", "onnx/config.json", "README.md", ".gitattributes")) {
            assertThat(p.matches(f)).as(f).isFalse();
        }
    }

    @Test
    void globSemantics() {
        assertThat(FilePatterns.glob("*.json", "a.json")).isTrue();
        assertThat(FilePatterns.glob("*.json", "x/a.json")).isFalse();
        assertThat(FilePatterns.glob("**/*.json", "a.json")).isTrue();
        assertThat(FilePatterns.glob("**/*.json", "x/y/a.json")).isTrue();
        assertThat(FilePatterns.glob("x/**", "x/y/a.json")).isTrue();
        assertThat(FilePatterns.glob("a?c", "abc")).isTrue();
        assertThat(FilePatterns.glob("a?c", "a/c")).isFalse();
        assertThat(FilePatterns.glob("a.b", "axb")).as("dots are literal").isFalse();
    }
}

package mmgp.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsCheckpointTest {

    @TempDir
    Path dir;

    private Path shard(String name, String tensorPrefix, float value) throws IOException {
        return new SafetensorsBuilder()
                .metadata("format", "pt")
                .addFloats(tensorPrefix + ".weight", new long[] {2}, value, value + 1)
                .addFloats(tensorPrefix + ".bias", new long[] {1}, -value)
                .write(dir.resolve(name));
    }

    private void index(String name, String json) throws IOException {
        Files.writeString(dir.resolve(name), json);
    }

    @Test
    void singleFile() throws IOException {
        Path file = shard("weights.safetensors", "a", 1f);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(file)) {
            assertThat(checkpoint.files()).containsExactly(file);
            assertThat(checkpoint.names()).containsExactly("a.weight", "a.bias");
            assertThat(checkpoint.readFloats("a.weight")).containsExactly(1f, 2f);
            assertThat(checkpoint.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void folderWithModelSafetensorsIgnoresOtherFiles() throws IOException {
        shard("model.safetensors", "a", 1f);
        shard("model.fp16.safetensors", "a", 9f); // a variant with the same names: not merged
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            assertThat(checkpoint.files()).containsExactly(dir.resolve("model.safetensors"));
            assertThat(checkpoint.readFloats("a.bias")).containsExactly(-1f);
        }
    }

    @Test
    void shardedCheckpointFollowsTheIndex() throws IOException {
        shard("model-00001-of-00002.safetensors", "enc", 1f);
        shard("model-00002-of-00002.safetensors", "dec", 5f);
        index(SafetensorsCheckpoint.DEFAULT_INDEX, """
                {"metadata": {"total_size": 24},
                 "weight_map": {
                   "enc.weight": "model-00001-of-00002.safetensors",
                   "enc.bias": "model-00001-of-00002.safetensors",
                   "dec.weight": "model-00002-of-00002.safetensors"}}""");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            assertThat(checkpoint.files()).hasSize(2);
            assertThat(checkpoint.metadata()).containsEntry("total_size", "24");
            // dec.bias is in the shard but not in the index, which is authoritative
            assertThat(checkpoint.names()).containsExactly("enc.weight", "enc.bias", "dec.weight");
            assertThat(checkpoint.readFloats("dec.weight")).containsExactly(5f, 6f);
            assertThat(checkpoint.tensor("enc.bias").shape()).containsExactly(1);
            assertThat(checkpoint.fileOf("dec.weight").names()).contains("dec.bias");
            assertThat(checkpoint.findTensor("dec.bias")).isEmpty();
            assertThatThrownBy(() -> checkpoint.data("dec.bias")).isInstanceOf(SafetensorsFormatException.class)
                    .hasMessageContaining("'dec.bias' is not in the checkpoint (it has 3 tensors in 2 files)");
        }
    }

    @Test
    void diffusersIndexNameIsFound() throws IOException {
        shard("diffusion_pytorch_model-00001-of-00001.safetensors", "t", 2f);
        index("diffusion_pytorch_model.safetensors.index.json",
                "{\"weight_map\":{\"t.weight\":\"diffusion_pytorch_model-00001-of-00001.safetensors\"}}");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            assertThat(checkpoint.names()).containsExactly("t.weight");
        }
    }

    @Test
    void folderWithoutIndexMergesEverySafetensorsFile() throws IOException {
        shard("b.safetensors", "b", 3f);
        shard("a.safetensors", "a", 1f);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir)) {
            assertThat(checkpoint.files()).containsExactly(dir.resolve("a.safetensors"), dir.resolve("b.safetensors"));
            assertThat(checkpoint.names()).containsExactly("a.weight", "a.bias", "b.weight", "b.bias");
            assertThat(checkpoint.readFloats("b.bias")).containsExactly(-3f);
        }
    }

    @Test
    void closeUnmapsEveryShard() throws IOException {
        shard("a.safetensors", "a", 1f);
        shard("b.safetensors", "b", 3f);
        SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
        MemorySegment a = checkpoint.data("a.weight");
        MemorySegment b = checkpoint.data("b.weight");
        checkpoint.close();
        assertThatThrownBy(() -> a.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> b.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void duplicateTensorAcrossFiles() throws IOException {
        shard("a.safetensors", "x", 1f);
        shard("b.safetensors", "x", 2f);
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("tensor 'x.weight' appears in both a.safetensors and b.safetensors");
    }

    @Test
    void indexMayNotEscapeTheFolder() throws IOException {
        index(SafetensorsCheckpoint.DEFAULT_INDEX, "{\"weight_map\":{\"w\":\"../outside.safetensors\"}}");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("outside the checkpoint folder");
        index(SafetensorsCheckpoint.DEFAULT_INDEX, "{\"weight_map\":{\"w\":\"/etc/passwd\"}}");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).hasMessageContaining("outside the checkpoint folder");
    }

    @Test
    void indexErrorsAreExplained() throws IOException {
        shard("s1.safetensors", "a", 1f);
        index(SafetensorsCheckpoint.DEFAULT_INDEX, "{\"weight_map\":{\"a.weight\":\"s2.safetensors\"}}");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).hasMessageContaining("names shard s2.safetensors, which does not exist");
        index(SafetensorsCheckpoint.DEFAULT_INDEX, "{\"weight_map\":{\"zzz\":\"s1.safetensors\"}}");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).hasMessageContaining("maps tensor 'zzz' to s1.safetensors, which does not contain it");
        index(SafetensorsCheckpoint.DEFAULT_INDEX, "{\"weight_map\":{\"a.weight\":7}}");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).hasMessageContaining("must name a file, got number");
        index(SafetensorsCheckpoint.DEFAULT_INDEX, "{\"metadata\":{}}");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).hasMessageContaining("must be an object with a \"weight_map\"");
        index(SafetensorsCheckpoint.DEFAULT_INDEX, "{\"weight_map\":{");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("not valid JSON");
    }

    @Test
    void ambiguousOrEmptyFolders() throws IOException {
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("holds no model.safetensors.index.json");
        index("a.safetensors.index.json", "{\"weight_map\":{}}");
        index("b.safetensors.index.json", "{\"weight_map\":{}}");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).hasMessageContaining("several index files");
    }

    @Test
    void aCorruptShardClosesTheOthers() throws IOException {
        shard("a.safetensors", "a", 1f);
        Files.write(dir.resolve("b.safetensors"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(dir)).isInstanceOf(SafetensorsFormatException.class)
                .hasMessageContaining("b.safetensors").hasMessageContaining("too short");
    }
}

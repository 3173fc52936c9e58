package dev.zipcache.engine.gguf;

import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The GGUF reader and writer agree with each other and with a file written by llama.cpp's tools. */
class GgufRoundTripTest {

    @TempDir
    Path folder;

    @Test
    void readsTheLlamaCppVerifiedFile() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            GgufFile gguf = GgufFile.open(SharedFiles.file("models/stories260K/stories260K-f32.gguf"), arena);
            assertThat(gguf.version()).isEqualTo(3);
            assertThat(gguf.metadata().string("general.architecture")).isEqualTo("llama");
            assertThat(gguf.metadata().integer("llama.attention.head_count_kv")).isEqualTo(4);
            assertThat(List.<Object>copyOf(gguf.metadata().array("tokenizer.ggml.tokens"))).hasSize(512)
                    .startsWith("<unk>", "<s>", "</s>");
            GgufTensorInfo embedding = gguf.tensors().get("token_embd.weight");
            assertThat(embedding.dimensions()).containsExactly(64, 512);
            assertThat(embedding.type()).isEqualTo(GgmlType.F32);
            assertThat(gguf.tensors()).hasSize(47);
        }
    }

    @Test
    void writesBackWhatItReadsByteForByteInContent() throws IOException {
        Path original = SharedFiles.file("models/stories260K/stories260K-f32.gguf");
        Path copy = folder.resolve("copy.gguf");
        try (Arena arena = Arena.ofConfined()) {
            GgufFile source = GgufFile.open(original, arena);
            GgufWriter writer = new GgufWriter();
            source.metadata().entries().forEach(writer::put);
            for (GgufTensorInfo info : source.tensors().values()) {
                writer.tensor(info.name(), info.type(), info.dimensions(),
                        source.tensorData(info).toArray(ValueLayout.JAVA_BYTE));
            }
            writer.write(copy);
            GgufFile reread = GgufFile.open(copy, arena);
            assertThat(reread.metadata()).isEqualTo(source.metadata());
            assertThat(reread.tensors().keySet()).containsExactlyElementsOf(source.tensors().keySet());
            for (GgufTensorInfo info : source.tensors().values()) {
                GgufTensorInfo copied = reread.tensors().get(info.name());
                assertThat(copied.dimensions()).containsExactly(info.dimensions());
                assertThat(reread.tensorData(copied).mismatch(source.tensorData(info))).isEqualTo(-1L);
            }
        }
        // Same layout rules as llama.cpp's writer: identical size.
        assertThat(Files.size(copy)).isEqualTo(Files.size(original));
    }

    @Test
    void roundTripsEveryValueTypeIncludingNestedArrays() throws IOException {
        Path file = folder.resolve("values.gguf");
        GgufWriter writer = new GgufWriter();
        writer.put("u8", new GgufValue(GgufValueType.UINT8, 255L))
                .put("i8", new GgufValue(GgufValueType.INT8, -128L))
                .put("u16", new GgufValue(GgufValueType.UINT16, 65_535L))
                .put("i16", new GgufValue(GgufValueType.INT16, -32_768L))
                .put("u32", new GgufValue(GgufValueType.UINT32, 4_294_967_295L))
                .put("i32", new GgufValue(GgufValueType.INT32, -2_147_483_648L))
                .put("f32", GgufValue.float32(1.5f))
                .put("bool", GgufValue.bool(true))
                .put("string", GgufValue.string("héllo ▁ 👋"))
                .put("u64", new GgufValue(GgufValueType.UINT64, Long.MAX_VALUE))
                .put("i64", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE))
                .put("f64", new GgufValue(GgufValueType.FLOAT64, Math.PI))
                .put("nested", GgufValue.array(GgufValueType.ARRAY, List.of(
                        new GgufValue.GgufArray(GgufValueType.INT32, List.of(1L, 2L)),
                        new GgufValue.GgufArray(GgufValueType.STRING, List.of("a", "b", "c")))))
                .tensor("t", GgmlType.F32, new long[] {3}, new byte[12]);
        writer.write(file);
        try (Arena arena = Arena.ofConfined()) {
            GgufFile reread = GgufFile.open(file, arena);
            assertThat(reread.metadata().entries()).hasSize(13);
            assertThat(reread.metadata().integer("u8")).isEqualTo(255);
            assertThat(reread.metadata().integer("i16")).isEqualTo(-32_768);
            assertThat(reread.metadata().integer("u32")).isEqualTo(4_294_967_295L);
            assertThat(reread.metadata().integer("i64")).isEqualTo(Long.MIN_VALUE);
            assertThat(reread.metadata().decimal("f64")).isEqualTo(Math.PI);
            assertThat(reread.metadata().string("string")).isEqualTo("héllo ▁ 👋");
            assertThat(List.<Object>copyOf(reread.metadata().array("nested"))).containsExactly(
                    new GgufValue.GgufArray(GgufValueType.INT32, List.of(1L, 2L)),
                    new GgufValue.GgufArray(GgufValueType.STRING, List.of("a", "b", "c")));
        }
    }

    @Test
    void rejectsWrongMagicTruncationAndHostileCounts() throws IOException {
        byte[] original = Files.readAllBytes(SharedFiles.file("models/stories260K/stories260K-f32.gguf"));
        assertThatThrownBy(() -> parse(Arrays.copyOf(original, 1000))).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> parse(Arrays.copyOf(original, original.length - 100)))
                .isInstanceOf(GgufFormatException.class).hasMessageContaining("truncated");
        byte[] wrongMagic = original.clone();
        wrongMagic[0] = 'X';
        assertThatThrownBy(() -> parse(wrongMagic)).hasMessageContaining("wrong magic");
        byte[] hugeCount = original.clone();
        ByteBuffer.wrap(hugeCount).order(ByteOrder.LITTLE_ENDIAN).putLong(16, Long.MAX_VALUE / 2);
        assertThatThrownBy(() -> parse(hugeCount)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("more than it can hold");
    }

    private static GgufFile parse(byte[] bytes) {
        return GgufFile.parse(Path.of("test.gguf"), MemorySegment.ofArray(bytes));
    }
}

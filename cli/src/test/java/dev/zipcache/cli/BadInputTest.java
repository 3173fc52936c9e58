package dev.zipcache.cli;

import dev.zipcache.engine.gguf.GgufFile;
import dev.zipcache.engine.gguf.GgufTensorInfo;
import dev.zipcache.engine.gguf.GgufWriter;
import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input gets one clear line on stderr and exit code 1 (runtime) or 2 (usage), never a stack trace. */
class BadInputTest {

    @TempDir
    Path folder;

    private static void assertOneLineError(CliRun run, int exitCode, String message) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(exitCode);
        assertThat(run.err()).contains(message).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void truncatedCheckpoint() throws IOException {
        Path truncated = folder.resolve("stories260K.bin");
        byte[] bytes = Files.readAllBytes(SharedFiles.file("models/stories260K/stories260K.bin"));
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        Files.copy(SharedFiles.file("models/stories260K/tok512.bin"), folder.resolve("tok512.bin"));
        CliRun run = CliRun.of("generate", "-m", truncated.toString(), "-p", "hi");
        assertOneLineError(run, 1, "truncated file");
        assertThat(run.errorLines()).isEqualTo(1);
    }

    @Test
    void truncatedGguf() throws IOException {
        Path truncated = folder.resolve("model.gguf");
        byte[] bytes = Files.readAllBytes(SharedFiles.file("models/stories260K/stories260K-f32.gguf"));
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 4096));
        CliRun run = CliRun.of("info", "-m", truncated.toString());
        assertOneLineError(run, 1, "truncated file");
        assertThat(run.errorLines()).isEqualTo(1);
    }

    @Test
    void wrongMagic() throws IOException {
        Path garbage = folder.resolve("garbage.gguf");
        Files.writeString(garbage, "this is not a model file at all, just text that goes on and on");
        CliRun run = CliRun.of("generate", "-m", garbage.toString());
        assertOneLineError(run, 1, "not a GGUF file and not a llama2.c checkpoint");
        assertThat(run.errorLines()).isEqualTo(1);
    }

    @Test
    void unsupportedTensorType() throws IOException {
        Path file = folder.resolve("q5k.gguf");
        try (Arena arena = Arena.ofConfined()) {
            GgufFile source = GgufFile.open(SharedFiles.file("models/stories260K/stories260K-f32.gguf"), arena);
            GgufWriter writer = new GgufWriter();
            source.metadata().entries().forEach(writer::put);
            for (GgufTensorInfo info : source.tensors().values()) {
                if (info.name().equals("blk.0.attn_q.weight")) {
                    writer.tensor(info.name(), GgmlType.Q5_K, info.dimensions(),
                            new byte[(int) GgmlType.Q5_K.bytesFor(info.elementCount())]);
                } else {
                    writer.tensor(info.name(), info.type(), info.dimensions(),
                            source.tensorData(info).toArray(ValueLayout.JAVA_BYTE));
                }
            }
            writer.write(file);
        }
        CliRun run = CliRun.of("generate", "-m", file.toString(), "-p", "hi");
        assertOneLineError(run, 1, "tensor 'blk.0.attn_q.weight' has type Q5_K");
        assertThat(run.errorLines()).isEqualTo(1);
    }

    @Test
    void promptLongerThanTheContext() {
        // aidreams260K has a context of 128 positions.
        CliRun run = CliRun.of("generate", "-m", SharedFiles.file("models/aidreams260K/aidreams260K.bin").toString(),
                "-p", "the dream of a gentle hum ".repeat(60));
        assertOneLineError(run, 1, "does not fit the model's context of 128 tokens");
        assertThat(run.errorLines()).isEqualTo(1);
    }

    @Test
    void unknownKvCache() {
        CliRun run = CliRun.of("generate", "-m", SharedFiles.file("models/stories260K/stories260K.bin").toString(),
                "--kv-cache", "nonsense");
        assertOneLineError(run, 2, "unknown KV cache 'nonsense'; available: fp16, fp32, h2o, kivi, mikv, uniform, zipcache");
        assertThat(run.errorLines()).isEqualTo(1);
    }

    @Test
    void unknownCacheOption() {
        CliRun run = CliRun.of("generate", "-m", SharedFiles.file("models/stories260K/stories260K.bin").toString(),
                "--kv-cache", "fp16:bits=3");
        assertOneLineError(run, 2, "KV cache 'fp16' has no option 'bits'");
    }

    @Test
    void missingModelAndBadOptions() {
        assertOneLineError(CliRun.of("generate", "-m", folder.resolve("absent.gguf").toString()), 1, "does not exist");
        assertOneLineError(CliRun.of("generate", "-m", "x", "--frobnicate"), 2, "Unknown option");
        assertOneLineError(CliRun.of("generate", "-m", "x", "-n", "many"), 2, "'many' is not an int");
        assertOneLineError(CliRun.of("generate", "-m", SharedFiles.file("models/stories260K/stories260K.bin")
                .toString(), "--top-p", "2"), 2, "top-p must be in (0, 1]");
        assertOneLineError(CliRun.of("convert", "-m", "x", "-o", folder.resolve("y").toString(), "--type", "q3"), 2,
                "'q3' is not one of");
    }
}

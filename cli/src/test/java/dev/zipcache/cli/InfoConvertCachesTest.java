package dev.zipcache.cli;

import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code zipcache info}, {@code convert} and {@code caches}. */
class InfoConvertCachesTest {

    @TempDir
    Path folder;

    @Test
    void infoShowsConfigurationMetadataAndTensors() {
        CliRun run = CliRun.of("info", "-m", SharedFiles.file("models/stories260K/stories260K-f32.gguf").toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("kv_heads               4").contains("llama.attention.head_count_kv")
                .contains("blk.4.ffn_up.weight").contains("tensors (47)");
    }

    @Test
    void convertWritesAGgufThatGeneratesLikeTheCheckpoint() {
        Path output = folder.resolve("stories260K-q8_0.gguf");
        CliRun convert = CliRun.of("convert", "-m", SharedFiles.file("models/stories260K/stories260K.bin").toString(),
                "-o", output.toString(), "--type", "q8_0");
        assertThat(convert.exitCode()).as(convert.err()).isZero();
        assertThat(convert.out()).contains("wrote").contains("blk.0.ffn_down.weight → F16");
        assertThat(Files.exists(output)).isTrue();
        String[] common = {"-p", "Tom had a red ball", "-n", "15", "--temperature", "0"};
        CliRun fromGguf = CliRun.of(concat(new String[] {"generate", "-m", output.toString()}, common));
        CliRun fromBin = CliRun.of(concat(new String[] {"generate", "-m",
                SharedFiles.file("models/stories260K/stories260K.bin").toString()}, common));
        assertThat(fromGguf.out()).isEqualTo(fromBin.out());
    }

    @Test
    void cachesListsTheProvidersFoundOnTheClassPath() {
        CliRun run = CliRun.of("caches");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("fp16").contains("fp32").contains("zipcache").contains("salient-ratio=0.6")
                .contains("kivi").contains("uniform").contains("h2o").contains("mikv")
                .contains("quantizers").contains("channelwise").contains("cst")
                .contains("saliency policies").contains("probe").contains("probe-accumulated");
        CliRun json = CliRun.of("caches", "--json");
        assertThat(json.out()).contains("\"caches\"").contains("\"quantizers\"").contains("\"saliency_policies\"");
    }

    private static String[] concat(String[] first, String[] second) {
        String[] all = new String[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}

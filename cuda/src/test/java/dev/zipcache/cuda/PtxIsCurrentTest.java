package dev.zipcache.cuda;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The committed {@code kernels.ptx} is what {@code kernels.cu} compiles to, so that a machine without nvcc runs the
 * current kernels. Where nvcc is missing the comparison is skipped; the entry check runs everywhere.
 */
class PtxIsCurrentTest {

    /** Every kernel the host code launches (KernelLaunches). */
    private static final List<String> ENTRIES = List.of("embed_f32", "embed_f16", "embed_bf16", "embed_q8_0",
            "embed_q4_0", "gemv_f32", "gemv_f16", "gemv_bf16", "gemv_q8_0", "gemv_q4_0", "gemv_f16_x8",
            "gemv_q8_0_x16", "gemv_q4_0_x32", "gemm_f32", "gemm_f16",
            "gemm_bf16", "gemm_q8_0", "gemm_q4_0", "rms_norm", "rope", "swiglu", "add_in_place", "add_bias",
            "kv_append_f16", "attention_rows_f16", "attention_prefill_f16", "attention_split_f16",
            "attention_merge_f16", "kv_window_move_f16", "kivi_pack_keys", "kivi_pack_values", "attention_rows_kivi",
            "attention_split_kivi", "attention_rows_zip", "attention_split_zip", "zip_keep_probe_queries",
            "zip_probe_softmax", "zip_probe_scores", "zip_gather", "zip_fit_channels", "zip_channel_scales",
            "zip_fit_rows", "zip_pack_rows");

    @Test
    void committedPtxHasEveryKernel() {
        assertThat(PtxSignatures.committed()).containsOnlyKeys(ENTRIES);
    }

    @Test
    void committedPtxIsWhatTheSourcesCompileTo() throws IOException, InterruptedException {
        Path sources = Path.of(System.getProperty("zipcache.cuda.sources", "src/main/cuda"));
        Path committed = Path.of(System.getProperty("zipcache.cuda.committedPtx",
                "src/main/resources/dev/zipcache/cuda")).resolve(JCudaDevice.PTX_RESOURCE);
        Assumptions.assumeTrue(Files.isRegularFile(sources.resolve("kernels.cu")),
                "the CUDA sources are not at " + sources.toAbsolutePath() + ": the committed PTX is not recompiled");
        String nvcc = findTool("nvcc");
        Assumptions.assumeTrue(nvcc != null, "nvcc is not installed here: the committed PTX is not recompiled");
        Path compiled = Files.createTempFile("kernels", ".ptx");
        try {
            Process process = new ProcessBuilder(nvcc, "-ptx", "-arch=" + System.getProperty("zipcache.cuda.arch",
                    "compute_80"), "-O3", "-o", compiled.toString(), sources.resolve("kernels.cu").toString())
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(process.exitValue()).as("nvcc output: %s", output).isZero();
            assertThat(withoutComments(Files.readString(compiled)))
                    .as("committed %s is stale: regenerate it with %s -ptx -arch=compute_80 -O3 -o %s %s", committed,
                            nvcc, committed, sources.resolve("kernels.cu"))
                    .isEqualTo(withoutComments(Files.readString(committed)));
        } finally {
            Files.deleteIfExists(compiled);
        }
    }

    /**
     * What the driver does at load time, done here: ptxas assembles the committed PTX for Hopper (sm_90, the H200),
     * and every kernel fits without register spills and within the 48 KiB of static shared memory.
     */
    @Test
    void committedPtxAssemblesForHopperWithoutSpills() throws IOException, InterruptedException {
        String ptxas = findTool("ptxas");
        Assumptions.assumeTrue(ptxas != null, "ptxas is not installed here: the PTX is not assembled");
        Path cubin = Files.createTempFile("kernels", ".cubin");
        Path ptx = Files.createTempFile("kernels", ".ptx");
        try {
            byte[] text = JCudaDevice.ptx();
            Files.write(ptx, java.util.Arrays.copyOf(text, text.length - 1));
            Process process = new ProcessBuilder(ptxas, "-arch=sm_90", "-v", "-o", cubin.toString(), ptx.toString())
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(process.exitValue()).as("ptxas output: %s", output).isZero();
            assertThat(output).as(output).doesNotContainPattern("[1-9]\\d* bytes spill (stores|loads)");
            java.util.regex.Matcher shared = java.util.regex.Pattern.compile("(\\d+) bytes smem").matcher(output);
            while (shared.find()) {
                assertThat(Integer.parseInt(shared.group(1))).isLessThanOrEqualTo(48 * 1024);
            }
            assertThat(output.split("Compiling entry function", -1)).hasSize(ENTRIES.size() + 1);
        } finally {
            Files.deleteIfExists(cubin);
            Files.deleteIfExists(ptx);
        }
    }

    /** The PTX without its comment lines, which name the compiler build. */
    private static String withoutComments(String ptx) {
        return String.join("\n", ptx.lines().filter(line -> !line.startsWith("//")).toList());
    }

    /** A CUDA tool: next to the configured nvcc, in /usr/local/bin or /usr/local/cuda/bin, or on the PATH. */
    private static String findTool(String name) {
        String configured = System.getProperty("zipcache.cuda.nvcc");
        String sibling = configured != null && configured.contains("/")
                ? Path.of(configured).resolveSibling(name).toString() : null;
        for (String candidate : new String[] {sibling, "/usr/local/bin/" + name, "/usr/local/cuda/bin/" + name}) {
            if (candidate != null && candidate.contains("/") && Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String folder : path.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(folder, name);
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return null;
    }
}

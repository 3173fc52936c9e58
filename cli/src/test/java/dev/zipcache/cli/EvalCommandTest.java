package dev.zipcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code zipcache eval}: a sweep of caches scored on the same documents, as a table, CSV, JSON and plots. */
class EvalCommandTest {

    private static final String MODEL = "models/stories260K/stories260K.bin";
    private static final String TEXT = "data/tinystories_train_sample_129.txt";
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path folder;

    private static List<String> baseArgs() {
        return new ArrayList<>(List.of("eval", "-m", SharedFiles.file(MODEL).toString(),
                "-f", SharedFiles.file(TEXT).toString(), "--documents", "2", "--threads", "1"));
    }

    @Test
    void sweepsEverySpecAndItsValueListsWritingJsonCsvAndPlots() throws IOException {
        Path csv = folder.resolve("eval.csv");
        Path markdown = folder.resolve("eval.md");
        Path png = folder.resolve("eval.png");
        List<String> args = baseArgs();
        args.addAll(List.of("--kv-cache", "fp16", "--kv-cache", "zipcache:salient-ratio=0.5,0.8", "--json",
                "--csv", csv.toString(), "--markdown", markdown.toString(), "--png", png.toString()));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();

        JsonNode rows = new ObjectMapper().readTree(run.out());
        assertThat(rows.isArray()).isTrue();
        List<String> specs = new ArrayList<>();
        rows.forEach(row -> specs.add(row.get("spec").asText()));
        assertThat(specs).containsExactly("fp16", "zipcache:salient-ratio=0.5", "zipcache:salient-ratio=0.8");
        List<String> keys = new ArrayList<>();
        rows.get(0).fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactlyElementsOf(EvalTables.COLUMNS);

        double fullPrecision = rows.get(0).get("ppl_full_precision").asDouble();
        for (JsonNode row : rows) {
            assertThat(row.get("documents").asInt()).isEqualTo(2);
            assertThat(row.get("scored_tokens").asLong()).isEqualTo(rows.get(0).get("scored_tokens").asLong());
            // Every configuration is measured against the same fp32 reference; it agrees across rows only to
            // rounding, as the Vector API kernels' summation order can change once the JIT compiles them.
            assertThat(row.get("ppl_full_precision").asDouble()).isCloseTo(fullPrecision, within(1e-5 * fullPrecision));
            assertThat(row.get("delta_ppl_percent").asDouble()).isCloseTo(
                    100 * (row.get("ppl").asDouble() / row.get("ppl_full_precision").asDouble() - 1), within(1e-9));
            assertThat(row.get("compression_ratio").asDouble()).isCloseTo(
                    row.get("kv_fp16_bytes").asDouble() / row.get("kv_bytes").asDouble(), within(1e-12));
            assertThat(row.get("top1_agreement").asDouble()).isBetween(0.0, 1.0);
            assertThat(row.get("mean_kl").asDouble()).isNotNegative();
        }
        assertThat(rows.get(0).get("compression_ratio").asDouble()).isEqualTo(1.0);
        // Fewer salient tokens at 4 bits: smaller cache, higher ratio.
        assertThat(rows.get(1).get("kv_bytes").asLong()).isLessThan(rows.get(2).get("kv_bytes").asLong());
        assertThat(rows.get(2).get("kv_bytes").asLong()).isLessThan(rows.get(0).get("kv_bytes").asLong());

        for (int candidate = 0; candidate < rows.size(); candidate++) {
            assertThat(rows.get(candidate).get("pareto").asBoolean()).as(specs.get(candidate))
                    .isEqualTo(notDominated(rows, candidate));
        }
        assertThat(rows.get(0).get("pareto").asBoolean()).as("fp16 has the lowest delta ppl here").isTrue();

        List<String> csvLines = Files.readAllLines(csv);
        assertThat(csvLines.getFirst()).isEqualTo("spec,documents,scored_tokens,prefill_fraction,ppl,"
                + "ppl_full_precision,delta_ppl_percent,mean_kl,top1_agreement,compression_ratio,paper_ratio,kv_bytes,"
                + "kv_fp16_bytes,pareto");
        assertThat(csvLines).hasSize(4);
        assertThat(csvLines.get(2)).startsWith("zipcache:salient-ratio=0.5,");
        assertThat(Files.readString(markdown)).contains("| `zipcache:salient-ratio=0.8` |").contains("fp32 ppl");

        for (Path plot : List.of(png, folder.resolve("eval-kl.png"))) {
            byte[] bytes = Files.readAllBytes(plot);
            assertThat(bytes.length).as(plot.toString()).isGreaterThan(PNG_MAGIC.length);
            assertThat(java.util.Arrays.copyOf(bytes, PNG_MAGIC.length)).as(plot.toString()).isEqualTo(PNG_MAGIC);
        }
        assertThat(run.err()).as("no progress bar when stderr is not a terminal").isEmpty();
    }

    /** Recomputed here from the printed numbers, independently of ParetoFront. */
    private static boolean notDominated(JsonNode rows, int candidate) {
        double ratio = rows.get(candidate).get("compression_ratio").asDouble();
        double delta = rows.get(candidate).get("delta_ppl_percent").asDouble();
        for (JsonNode other : rows) {
            double otherRatio = other.get("compression_ratio").asDouble();
            double otherDelta = other.get("delta_ppl_percent").asDouble();
            if (otherRatio >= ratio && otherDelta <= delta && (otherRatio > ratio || otherDelta < delta)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void withoutJsonPrintsAMarkdownTable() {
        List<String> args = baseArgs();
        args.addAll(List.of("--kv-cache", "kivi:bits=2,4"));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("| spec | ppl |").contains("| `kivi:bits=2` |").contains("| `kivi:bits=4` |")
                .contains("2 documents");
    }

    @Test
    void badSweepsAndOptionsAreUsageErrorsOnOneLine() {
        for (List<String> bad : List.<List<String>>of(List.of("--kv-cache", "nonesuch"), List.of("--kv-cache", "kivi:2,4"),
                List.of("--kv-cache", "kivi:bits=2,,4"), List.of("--kv-cache", "kivi:bits=2,99"),
                List.of("--kv-cache", ""), List.of(), List.of("--kv-cache", "fp16", "--prefill", "1"),
                List.of("--kv-cache", "fp16", "--png", folder.resolve("absent/eval.png").toString()))) {
            List<String> args = baseArgs();
            args.addAll(bad);
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertThat(run.exitCode()).as(String.join(" ", bad)).isEqualTo(ZipcacheCommand.USAGE_ERROR);
            assertThat(run.err()).as(String.join(" ", bad)).isNotBlank();
            assertThat(run.err().lines().filter(line -> !line.startsWith("Try ")).count()).as(run.err()).isEqualTo(1);
        }
    }

    @Test
    void aMissingTextIsARuntimeError() {
        CliRun run = CliRun.of("eval", "-m", SharedFiles.file(MODEL).toString(), "-f",
                folder.resolve("absent.txt").toString(), "--kv-cache", "fp16");
        assertThat(run.exitCode()).isEqualTo(ZipcacheCommand.RUNTIME_ERROR);
        assertThat(run.errorLines()).isEqualTo(1);
        assertThat(run.err()).contains("does not exist");
    }
}

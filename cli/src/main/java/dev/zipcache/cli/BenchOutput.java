package dev.zipcache.cli;

import dev.zipcache.engine.bench.BenchmarkResult;
import dev.zipcache.engine.bench.JitClock;
import dev.zipcache.engine.bench.Summary;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** The three printed forms of {@code zipcache bench} rows: a JSON array, CSV with the same columns, a Markdown table. */
final class BenchOutput {

    /** A column of the JSON and CSV output; null values are JSON null and empty CSV fields. */
    private record Column(String name, Function<BenchmarkResult, Object> value) {
    }

    /** One list for JSON and CSV, so that the two never disagree. */
    private static final List<Column> COLUMNS = columns();

    private BenchOutput() {
    }

    private static List<Column> columns() {
        List<Column> columns = new ArrayList<>();
        columns.add(new Column("kv_cache", BenchmarkResult::kvCacheSpec));
        columns.add(new Column("prompt_tokens", BenchmarkResult::promptTokens));
        columns.add(new Column("generated_tokens", BenchmarkResult::generatedTokens));
        columns.add(new Column("threads", BenchmarkResult::threads));
        columns.add(new Column("repetitions", BenchmarkResult::repetitions));
        columns.add(new Column("warmup_runs", BenchmarkResult::warmupRuns));
        addSummary(columns, "prefill_tokens_per_second", BenchmarkResult::prefillTokensPerSecond);
        addSummary(columns, "decode_tokens_per_second", BenchmarkResult::decodeTokensPerSecond);
        addSummary(columns, "ttft_ms", BenchmarkResult::ttftMillis);
        columns.add(new Column("kv_tokens", BenchmarkResult::kvTokens));
        columns.add(new Column("kv_bytes", BenchmarkResult::kvBytes));
        columns.add(new Column("fp16_kv_bytes", BenchmarkResult::fp16KvBytes));
        columns.add(new Column("compression_ratio", BenchmarkResult::compressionRatio));
        columns.add(new Column("paper_ratio", BenchmarkResult::paperRatio));
        columns.add(new Column("peak_rss_bytes", row -> row.peakResidentBytes() < 0 ? null : row.peakResidentBytes()));
        columns.add(new Column("weights_mapped", BenchmarkResult::weightsMapped));
        columns.add(new Column("weight_bytes_per_token", BenchmarkResult::weightBytesPerToken));
        columns.add(new Column("decode_bytes_per_token", BenchmarkResult::decodeBytesPerToken));
        columns.add(new Column("decode_read_gb_per_second", BenchmarkResult::decodeGigabytesPerSecond));
        columns.add(new Column("jit_compile_ms", row -> row.timedCompileMillis() == JitClock.UNKNOWN ? null
                : row.timedCompileMillis()));
        return List.copyOf(columns);
    }

    /** NAME (the median), NAME_min and NAME_max. */
    private static void addSummary(List<Column> columns, String name, Function<BenchmarkResult, Summary> summary) {
        columns.add(new Column(name, row -> summary.apply(row).median()));
        columns.add(new Column(name + "_min", row -> summary.apply(row).min()));
        columns.add(new Column(name + "_max", row -> summary.apply(row).max()));
    }

    /** The column names, in order. */
    static List<String> columnNames() {
        return COLUMNS.stream().map(Column::name).toList();
    }

    static List<Map<String, Object>> jsonRows(List<BenchmarkResult> rows) {
        List<Map<String, Object>> objects = new ArrayList<>();
        for (BenchmarkResult row : rows) {
            Map<String, Object> object = Json.object();
            for (Column column : COLUMNS) {
                object.put(column.name(), column.value().apply(row));
            }
            objects.add(object);
        }
        return objects;
    }

    /** RFC 4180 CSV with a header line; a cache spec with options has commas, so it is quoted. */
    static String csv(List<BenchmarkResult> rows) {
        StringBuilder csv = new StringBuilder(String.join(",", columnNames())).append('\n');
        for (BenchmarkResult row : rows) {
            List<String> fields = new ArrayList<>();
            for (Column column : COLUMNS) {
                Object value = column.value().apply(row);
                fields.add(value == null ? "" : csvField(value.toString()));
            }
            csv.append(String.join(",", fields)).append('\n');
        }
        return csv.toString();
    }

    private static String csvField(String text) {
        if (text.contains(",") || text.contains("\"") || text.contains("\n")) {
            return '"' + text.replace("\"", "\"\"") + '"';
        }
        return text;
    }

    /** A Markdown table (pasteable into a README), then a line that says what the numbers are. */
    static String table(List<BenchmarkResult> rows) {
        List<String> header = List.of("kv_cache", "prompt", "gen", "threads", "warm-up", "prefill tok/s",
                "decode tok/s", "decode GB/s", "TTFT ms", "KV", "fp16 KV", "ratio", "peak RSS");
        List<List<String>> cells = new ArrayList<>();
        for (BenchmarkResult row : rows) {
            cells.add(List.of(row.kvCacheSpec(), Integer.toString(row.promptTokens()),
                    Integer.toString(row.generatedTokens()), Integer.toString(row.threads()),
                    Integer.toString(row.warmupRuns()),
                    withRange(row.prefillTokensPerSecond(), "%.1f"), withRange(row.decodeTokensPerSecond(), "%.1f"),
                    format("%.1f", row.decodeGigabytesPerSecond()), withRange(row.ttftMillis(), "%.2f"),
                    bytes(row.kvBytes()), bytes(row.fp16KvBytes()), format("%.2fx", row.compressionRatio()),
                    row.peakResidentBytes() < 0 ? "n/a" : bytes(row.peakResidentBytes())));
        }
        int[] widths = new int[header.size()];
        for (int column = 0; column < widths.length; column++) {
            widths[column] = header.get(column).length();
            for (List<String> line : cells) {
                widths[column] = Math.max(widths[column], line.get(column).length());
            }
        }
        StringBuilder table = new StringBuilder();
        appendLine(table, header, widths);
        StringBuilder rule = new StringBuilder("|");
        for (int column = 0; column < widths.length; column++) {
            // The cache name reads best left-aligned; numbers right-aligned.
            rule.append(column == 0 ? "-".repeat(widths[column] + 2) : "-".repeat(widths[column] + 1) + ":")
                    .append('|');
        }
        table.append(rule).append('\n');
        cells.forEach(line -> appendLine(table, line, widths));
        int repetitions = rows.isEmpty() ? 0 : rows.getFirst().repetitions();
        table.append("medians of ").append(repetitions).append(" timed runs, (min-max) beside them, after the "
                + "warm-up runs counted; decode GB/s: (weights + KV) read per step x decode tok/s, to compare with "
                + "the machine's read bandwidth; KV: bytes held after prompt + gen tokens; peak RSS: the process's "
                + "peak so far (VmHWM)\n");
        return table.toString();
    }

    private static void appendLine(StringBuilder table, List<String> line, int[] widths) {
        table.append('|');
        for (int column = 0; column < widths.length; column++) {
            String cell = line.get(column);
            String padding = " ".repeat(widths[column] - cell.length());
            table.append(' ').append(column == 0 ? cell + padding : padding + cell).append(" |");
        }
        table.append('\n');
    }

    private static String withRange(Summary summary, String pattern) {
        return format(pattern, summary.median()) + " (" + format(pattern, summary.min()) + "-"
                + format(pattern, summary.max()) + ")";
    }

    /** Binary units, as the sizes of caches and memory are usually quoted. */
    private static String bytes(long count) {
        if (count < 1024) {
            return count + " B";
        }
        if (count < 1024 * 1024) {
            return format("%.1f KiB", count / 1024.0);
        }
        if (count < 1024L * 1024 * 1024) {
            return format("%.1f MiB", count / (1024.0 * 1024));
        }
        return format("%.2f GiB", count / (1024.0 * 1024 * 1024));
    }

    /** Always a decimal point, whatever the default locale. */
    private static String format(String pattern, double value) {
        return String.format(Locale.ROOT, pattern, value);
    }
}

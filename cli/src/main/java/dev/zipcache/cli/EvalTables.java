package dev.zipcache.cli;

import dev.zipcache.engine.evaluate.PerplexityOptions;
import dev.zipcache.engine.evaluate.PerplexityReport;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code eval} table as markdown (for people), CSV (for spreadsheets) and JSON (for scripts). */
final class EvalTables {

    /** CSV and JSON columns, in order; the markdown table shows the same measurements rounded. */
    static final List<String> COLUMNS = List.of("spec", "documents", "scored_tokens", "prefill_fraction", "ppl",
            "ppl_full_precision", "delta_ppl_percent", "mean_kl", "top1_agreement", "compression_ratio",
            "paper_ratio", "kv_bytes", "kv_fp16_bytes", "pareto");

    private EvalTables() {
    }

    /** A line on what was scored, then one row per configuration. */
    static String markdown(List<EvalCommand.Row> rows) {
        String newline = System.lineSeparator();
        PerplexityReport first = rows.getFirst().report();
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "%d documents, %d tokens scored, prefill %.2f, %s ppl %.4f",
                first.documents(), first.scoredTokens(), first.prefillFraction(), PerplexityOptions.REFERENCE_KV_CACHE,
                first.pplFullPrecision())).append(newline).append(newline);
        table.append("| spec | ppl | Δppl | mean KL (nats) | top-1 agreement | compression ratio | paper ratio "
                + "| KV bytes | Pareto |").append(newline);
        table.append("|---|---|---|---|---|---|---|---|---|").append(newline);
        for (EvalCommand.Row row : rows) {
            PerplexityReport report = row.report();
            table.append(String.format(Locale.ROOT, "| `%s` | %.4f | %+.2f %% | %.3e | %.2f %% | %.2f | %.2f | %d | %s |",
                    report.kvCacheSpec(), report.ppl(), report.deltaPplPercent(), report.meanKl(),
                    100 * report.top1Agreement(), report.compressionRatio(), report.paperRatio(), report.kvBytes(),
                    row.paretoOptimal() ? "yes" : "")).append(newline);
        }
        return table.toString();
    }

    /** A header line, full-precision numbers, RFC 4180 quoting (the spec holds commas). */
    static String csv(List<EvalCommand.Row> rows) {
        StringBuilder csv = new StringBuilder(String.join(",", COLUMNS)).append("\n");
        for (EvalCommand.Row row : rows) {
            List<String> cells = values(row).values().stream().map(EvalTables::csvCell).toList();
            csv.append(String.join(",", cells)).append("\n");
        }
        return csv.toString();
    }

    /** One object per configuration, keys as the CSV header. */
    static List<Map<String, Object>> json(List<EvalCommand.Row> rows) {
        return rows.stream().map(EvalTables::values).toList();
    }

    private static Map<String, Object> values(EvalCommand.Row row) {
        PerplexityReport report = row.report();
        Map<String, Object> values = Json.object();
        values.put("spec", report.kvCacheSpec());
        values.put("documents", report.documents());
        values.put("scored_tokens", report.scoredTokens());
        values.put("prefill_fraction", report.prefillFraction());
        values.put("ppl", report.ppl());
        values.put("ppl_full_precision", report.pplFullPrecision());
        values.put("delta_ppl_percent", report.deltaPplPercent());
        values.put("mean_kl", report.meanKl());
        values.put("top1_agreement", report.top1Agreement());
        values.put("compression_ratio", report.compressionRatio());
        values.put("paper_ratio", report.paperRatio());
        values.put("kv_bytes", report.kvBytes());
        values.put("kv_fp16_bytes", report.kvFp16Bytes());
        values.put("pareto", row.paretoOptimal());
        return values;
    }

    private static String csvCell(Object value) {
        String text = String.valueOf(value);
        if (text.contains(",") || text.contains("\"") || text.contains("\n") || text.contains("\r")) {
            return '"' + text.replace("\"", "\"\"") + '"';
        }
        return text;
    }
}

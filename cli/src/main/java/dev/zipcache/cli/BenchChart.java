package dev.zipcache.cli;

import dev.zipcache.engine.bench.BenchmarkResult;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@code --png} chart of {@code zipcache bench}: median decode speed against context length, a line per cache. */
final class BenchChart {

    /** Beyond this span of prompt lengths a linear axis crowds the short ones into a corner. */
    private static final double LOG_AXIS_SPAN = 8;

    private BenchChart() {
    }

    static void writePng(List<BenchmarkResult> rows, Path file) throws IOException {
        // Rendering needs no display; without this a set DISPLAY could make AWT try to reach an X server.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        XYChart chart = chart(rows);
        // Through a stream: saveBitmap(chart, String, ...) appends ".png" to a name that lacks it.
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    static XYChart chart(List<BenchmarkResult> rows) {
        BenchmarkResult first = rows.getFirst();
        XYChart chart = new XYChartBuilder().width(900).height(560)
                .title("Decode speed vs context (" + first.generatedTokens() + " tokens after the prompt, "
                        + "threads: " + first.threads() + ")")
                .xAxisTitle("context length (prompt tokens)").yAxisTitle("decode tokens/s (median)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setXAxisDecimalPattern("#");
        int shortest = rows.stream().mapToInt(BenchmarkResult::promptTokens).min().orElseThrow();
        int longest = rows.stream().mapToInt(BenchmarkResult::promptTokens).max().orElseThrow();
        chart.getStyler().setXAxisLogarithmic((double) longest / shortest > LOG_AXIS_SPAN);
        Map<String, List<BenchmarkResult>> byCache = new LinkedHashMap<>();
        for (BenchmarkResult row : rows) {
            byCache.computeIfAbsent(row.kvCacheSpec(), spec -> new ArrayList<>()).add(row);
        }
        byCache.forEach((spec, cacheRows) -> {
            List<BenchmarkResult> ordered = cacheRows.stream()
                    .sorted(Comparator.comparingInt(BenchmarkResult::promptTokens)).toList();
            chart.addSeries(spec, ordered.stream().mapToDouble(BenchmarkResult::promptTokens).toArray(),
                    ordered.stream().mapToDouble(row -> row.decodeTokensPerSecond().median()).toArray());
        });
        return chart;
    }
}

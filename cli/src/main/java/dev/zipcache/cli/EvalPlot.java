package dev.zipcache.cli;

import dev.zipcache.engine.evaluate.ParetoFront;
import dev.zipcache.engine.evaluate.PerplexityReport;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The {@code eval} plots: quality cost against the true compression ratio, one point per configuration (named in the
 * legend), and a line through that cost's Pareto front. Two charts: Δppl, and mean KL in a second file.
 */
final class EvalPlot {

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 600;

    private EvalPlot() {
    }

    /** {@code eval.png} → {@code eval-kl.png}; a name without an extension gets {@code -kl} at its end. */
    static Path klFile(Path pngFile) {
        String name = pngFile.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String klName = dot > 0 ? name.substring(0, dot) + "-kl" + name.substring(dot) : name + "-kl";
        return pngFile.resolveSibling(klName);
    }

    static void write(List<EvalCommand.Row> rows, Path deltaPplFile, Path klFile) {
        // No window is ever opened; without this AWT would look for a display (none on a server or in CI).
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        List<PerplexityReport> reports = rows.stream().map(EvalCommand.Row::report).toList();
        save(chart(reports, "Δppl against compression ratio", "Δppl (%)", PerplexityReport::deltaPplPercent, false),
                deltaPplFile);
        // KL spans orders of magnitude between fp16 and 2-bit caches; a log axis needs every value positive (fp32's
        // own KL is exactly 0).
        boolean logKl = reports.stream().allMatch(report -> report.meanKl() > 0);
        save(chart(reports, "Mean KL(fp32 ‖ cache) against compression ratio", "mean KL (nats)",
                PerplexityReport::meanKl, logKl), klFile);
    }

    private static XYChart chart(List<PerplexityReport> reports, String title, String costLabel,
                                 ToDoubleFunction<PerplexityReport> cost, boolean logCost) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title + " (" + reports.getFirst()
                        .documents() + " documents, " + reports.getFirst().scoredTokens() + " tokens scored)")
                .xAxisTitle("compression ratio vs fp16 (bytes held)").yAxisTitle(costLabel).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendPosition(LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(10);
        chart.getStyler().setYAxisLogarithmic(logCost);

        List<ParetoFront.Point> points = reports.stream()
                .map(report -> new ParetoFront.Point(report.compressionRatio(), cost.applyAsDouble(report))).toList();
        boolean[] onFront = ParetoFront.membership(points);
        List<ParetoFront.Point> front = new ArrayList<>();
        for (int index = 0; index < points.size(); index++) {
            if (onFront[index]) {
                front.add(points.get(index));
            }
        }
        front.sort(Comparator.comparingDouble(ParetoFront.Point::compressionRatio));
        if (!front.isEmpty()) {
            XYSeries frontLine = chart.addSeries("Pareto front (specs marked *)", front.stream()
                    .mapToDouble(ParetoFront.Point::compressionRatio).toArray(), front.stream()
                    .mapToDouble(ParetoFront.Point::cost).toArray());
            frontLine.setXYSeriesRenderStyle(XYSeriesRenderStyle.Line);
            frontLine.setMarker(SeriesMarkers.NONE);
        }

        for (int index = 0; index < reports.size(); index++) {
            ParetoFront.Point point = points.get(index);
            if (Double.isNaN(point.cost()) || Double.isNaN(point.compressionRatio())) {
                continue;
            }
            String label = reports.get(index).kvCacheSpec() + (onFront[index] ? " *" : "");
            chart.addSeries(label, new double[] {point.compressionRatio()}, new double[] {point.cost()});
        }
        return chart;
    }

    private static void save(XYChart chart, Path file) {
        // An OutputStream, not a file name: saveBitmap(chart, name, format) appends ".png" to a name without it.
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapFormat.PNG);
        } catch (IOException failure) {
            throw new UncheckedIOException("cannot write " + file + ": " + failure.getMessage(), failure);
        }
    }
}

package dev.zipcache.saliency;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SaliencyPolicy;
import dev.zipcache.spi.SaliencyScorer;
import dev.zipcache.spi.SpecOptions;

import java.util.List;
import java.util.stream.IntStream;

/**
 * The attention-based policies of ZIPCACHE.md §5 and §10.2, which differ in the rows they observe and in how they
 * normalize. Each is its own ServiceLoader entry (a subclass below) so that it is selected by name.
 */
public abstract sealed class AttentionSaliencyPolicy implements SaliencyPolicy {

    /** Options of the probe policies, with the official code's defaults. */
    static final List<OptionDescriptor> PROBE_OPTIONS = List.of(
            new OptionDescriptor("probe-recent", "0.05", "fraction of the newest tokens used as probe rows"),
            new OptionDescriptor("probe-random", "0.05", "fraction of tokens drawn at random (seeded) as probe rows"));
    static final OptionDescriptor NORMALIZATION = new OptionDescriptor("normalization", "full-causal",
            "divide accumulated attention by L − i (full-causal, the official code) or by the probes seeing i "
                    + "(probe-count)");

    private final String name;
    private final String description;
    private final boolean probes;
    private final boolean normalized;

    AttentionSaliencyPolicy(String name, String description, boolean probes, boolean normalized) {
        this.name = name;
        this.description = description;
        this.probes = probes;
        this.normalized = normalized;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<OptionDescriptor> options() {
        List<OptionDescriptor> options = new java.util.ArrayList<>();
        if (probes) {
            options.addAll(PROBE_OPTIONS);
        }
        if (normalized) {
            options.add(NORMALIZATION);
        }
        return List.copyOf(options);
    }

    @Override
    public SaliencyScorer scorer(ScoringRequest request, KvCacheGeometry geometry, SpecOptions options) {
        int[] rows = probes
                ? new ProbeSelection(options.decimal("probe-recent", 0, 1), options.decimal("probe-random", 0, 1))
                        .rows(request.firstToken(), request.length(), request.seed(), request.layer())
                : IntStream.range(request.firstToken(), request.length()).toArray();
        AttentionScorer.Normalization normalization = AttentionScorer.Normalization.NONE;
        if (normalized) {
            normalization = switch (options.string("normalization")) {
                case "full-causal" -> AttentionScorer.Normalization.FULL_CAUSAL;
                case "probe-count" -> AttentionScorer.Normalization.PROBE_COUNT;
                default -> throw new IllegalArgumentException(name + ": option 'normalization' must be full-causal or "
                        + "probe-count, got '" + options.string("normalization") + "'");
            };
        }
        return new AttentionScorer(rows, request.firstToken(), request.length(), geometry.kvHeads(), normalization);
    }

    /** {@code probe}: ZipCache's normalized attention estimated from recent and random probe rows. */
    public static final class Probe extends AttentionSaliencyPolicy {
        public Probe() {
            super("probe", "ZipCache: normalized attention from 5% recent + 5% random probe rows (seeded)", true, true);
        }
    }

    /** {@code normalized}: the exact normalized attention score over every query row. */
    public static final class Normalized extends AttentionSaliencyPolicy {
        public Normalized() {
            super("normalized", "exact normalized attention over every query row (O(L²) at prefill)", false, true);
        }
    }

    /** {@code accumulated}: H2O's accumulated attention over every query row, not normalized. */
    public static final class Accumulated extends AttentionSaliencyPolicy {
        public Accumulated() {
            super("accumulated", "H2O-style accumulated attention over every query row (favours early tokens)",
                    false, false);
        }
    }

    /** {@code probe-accumulated}: probe rows without normalization (ZipCache's ablation). */
    public static final class ProbeAccumulated extends AttentionSaliencyPolicy {
        public ProbeAccumulated() {
            super("probe-accumulated", "accumulated attention of the probe rows, not normalized", true, false);
        }
    }
}

package dev.zipcache.cuda;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.SaliencyPolicy;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code zipcache} cache's settings as the device store holds them (the CPU provider's options, resolved as its
 * {@code MixedPrecisionConfig} resolves them; ZIPCACHE.md §13), and the sizes that follow: salient tokens packed at
 * {@code highBits}, regular ones at {@code lowBits}, each a row of {@code width = kvHeads × headDimension} channels;
 * keys channelwise per precision group, values CST. The zipcache-impl module is not a compile-time dependency of this
 * one, so its few formulas (the regular count, the byte count, the paper's ratio) are repeated here; ZipStoreTest pins
 * them to the CPU cache's.
 *
 * @param scoring how the probe rows' attention becomes a score
 */
record ZipLayout(int kvHeads, int headDimension, int highBits, int lowBits, double salientRatio, int interval,
                 long seed, SaliencyPolicy policy, SpecOptions policyOptions, Scoring scoring) {

    /** The cache spec name. */
    static final String SPEC = "zipcache";

    /** How a policy turns observed attention into scores; the codes are {@code zip_probe_scores}'s. */
    enum Scoring {
        /** Accumulated attention (H2O), not normalized. */
        NONE(0),
        /** Divided by {@code L − i}, the column's count in the full causal matrix (the official code). */
        FULL_CAUSAL(1),
        /** Divided by the probes that see the token (ZIPCACHE.md §9 A2). */
        PROBE_COUNT(2),
        /** {@code recent}: the position itself; observes no rows. */
        POSITION(-1);

        final int code;

        Scoring(int code) {
            this.code = code;
        }
    }

    /**
     * The layout of a resolved {@code zipcache} spec (already validated by the CPU provider), or empty where the
     * device store does not take its options: 3-bit codes (a bit stream, not the planar layout the kernels read),
     * key modes other than {@code channelwise}, value modes other than {@code cst}, and saliency policies other than
     * the built-in {@code probe}, {@code normalized}, {@code accumulated}, {@code probe-accumulated} and
     * {@code recent} (a plug-in policy's scorer is only known through its host interface).
     */
    static Optional<ZipLayout> of(SpecOptions options, KvCacheGeometry geometry) {
        int high = options.integer("high-bits", 2, 8);
        int low = options.integer("low-bits", 2, 8);
        if (!planar(high) || !planar(low) || !options.string("key-mode").equals("channelwise")
                || !options.string("value-mode").equals("cst")) {
            return Optional.empty();
        }
        String saliency = options.string("saliency");
        Scoring scoring = switch (saliency) {
            case "probe", "normalized" -> options.string("normalization").equals("probe-count")
                    ? Scoring.PROBE_COUNT : Scoring.FULL_CAUSAL;
            case "accumulated", "probe-accumulated" -> Scoring.NONE;
            case "recent" -> Scoring.POSITION;
            default -> null;
        };
        if (scoring == null) {
            return Optional.empty();
        }
        Providers<SaliencyPolicy> policies = Providers.saliencyPolicies();
        SaliencyPolicy policy = policies.find(saliency);
        Map<String, String> policyValues = new LinkedHashMap<>();
        policy.options().forEach(option -> policyValues.put(option.key(),
                options.values().getOrDefault(option.key(), option.defaultValue())));
        return Optional.of(new ZipLayout(geometry.kvHeads(), geometry.headDimension(), high, low,
                options.decimal("salient-ratio", 0, 1), options.integer("interval", 1, 1 << 20),
                Long.parseLong(options.string("seed")), policy,
                policies.resolve(new Spec(policy.name(), policyValues)), scoring));
    }

    private static boolean planar(int bits) {
        return bits == 2 || bits == 4 || bits == 8;
    }

    /** Channels per token, all KV heads. */
    int width() {
        return kvHeads * headDimension;
    }

    /** Bytes of one packed row at {@code bits}, {@code ceil(width · bits / 8)}, which is also a plane's width. */
    int rowBytes(int bits) {
        return (int) Math.ceilDiv((long) width() * bits, Byte.SIZE);
    }

    /** Tokens of {@code count} that go to low precision: floor((1 − salient ratio) · count), as the official code. */
    int regularCount(int count) {
        return (int) Math.floor((1.0 - salientRatio) * count);
    }

    /**
     * The CPU cache's bytes for one layer: per non-empty group its codes and fp16 parameters (keys: a (min, step) per
     * channel; values: per row), the CST channel scales once, and the fp16 buffer of keys and values.
     */
    long layerBytes(long salientRows, long regularRows, long buffered) {
        long bytes = 2 * buffered * width() * Short.BYTES;
        if (salientRows > 0) {
            bytes += 2 * salientRows * rowBytes(highBits) + 2L * width() * Short.BYTES
                    + 2 * salientRows * Short.BYTES;
        }
        if (regularRows > 0) {
            bytes += 2 * regularRows * rowBytes(lowBits) + 2L * width() * Short.BYTES
                    + 2 * regularRows * Short.BYTES;
        }
        if (salientRows > 0 || regularRows > 0) {
            bytes += (long) width() * Short.BYTES;
        }
        return bytes;
    }

    /**
     * The paper's ratio (ZIPCACHE.md §8) for b = 1 and hd = {@link #width()}: FP16 bits {@code 2·l·hd·16} over payload
     * {@code 2·l·hd·(r·k_hi + (1−r)·k_lo)} plus fp16 parameters {@code 16·(4·hd + hd + 2·l)}.
     */
    double paperRatio(long tokens) {
        double bitsPerElement = salientRatio * highBits + (1 - salientRatio) * lowBits;
        if (tokens == 0) {
            return 16.0 / bitsPerElement;
        }
        double hd = width();
        double fp16Bits = 2 * tokens * hd * 16;
        double payloadBits = 2 * tokens * hd * bitsPerElement;
        double parameterBits = 16 * (2 * 2 * hd + hd + 2.0 * tokens);
        return fp16Bits / (payloadBits + parameterBits);
    }
}

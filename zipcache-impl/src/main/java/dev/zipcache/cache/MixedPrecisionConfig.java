package dev.zipcache.cache;

import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.SaliencyPolicy;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings of a mixed-precision cache (ZIPCACHE.md §13), resolved from spec options: bit widths, the salient
 * fraction, the saliency policy with its options, the streaming interval, and the key and value quantizers.
 */
record MixedPrecisionConfig(int highBits, int lowBits, double salientRatio, SaliencyPolicy policy,
                            SpecOptions policyOptions, long seed, int interval, KvQuantizer keyQuantizer,
                            SpecOptions keyOptions, KvQuantizer valueQuantizer, SpecOptions valueOptions) {

    /** The options of {@code zipcache} and {@code mikv}, with the given defaults for saliency and value mode. */
    static List<OptionDescriptor> options(String defaultSaliency, String defaultValueMode) {
        return List.of(
                new OptionDescriptor("high-bits", "4", "bits of salient tokens (2, 3, 4 or 8)"),
                new OptionDescriptor("low-bits", "2", "bits of regular tokens (2, 3, 4 or 8)"),
                new OptionDescriptor("salient-ratio", "0.6", "fraction of tokens kept at high-bits"),
                new OptionDescriptor("saliency", defaultSaliency,
                        "saliency policy: probe, normalized, accumulated, probe-accumulated, recent (or a plug-in)"),
                new OptionDescriptor("probe-recent", "0.05", "probe policies: fraction of newest tokens as probes"),
                new OptionDescriptor("probe-random", "0.05", "probe policies: fraction of random probe tokens"),
                new OptionDescriptor("normalization", "full-causal",
                        "normalized policies: divide by L − i (full-causal) or by the probes seeing i (probe-count)"),
                new OptionDescriptor("seed", "0", "seed of the random probe draw"),
                new OptionDescriptor("interval", "100",
                        "decode steps between re-compressions; newer tokens stay in an fp16 buffer until then"),
                new OptionDescriptor("key-mode", "channelwise",
                        "key quantizer: channelwise (per precision group), cst, tokenwise"),
                new OptionDescriptor("value-mode", defaultValueMode,
                        "value quantizer: cst (channel-separable tokenwise), tokenwise, channelwise"));
    }

    static MixedPrecisionConfig from(String cache, SpecOptions options) {
        int high = BufferedKvCache.bits(cache, options, "high-bits");
        int low = BufferedKvCache.bits(cache, options, "low-bits");
        double salient = options.decimal("salient-ratio", 0, 1);
        Providers<SaliencyPolicy> policies = Providers.saliencyPolicies();
        SaliencyPolicy policy = policies.find(options.string("saliency"));
        Map<String, String> policyValues = new LinkedHashMap<>();
        policy.options().forEach(option -> policyValues.put(option.key(),
                options.values().getOrDefault(option.key(), option.defaultValue())));
        SpecOptions policyOptions = policies.resolve(new Spec(policy.name(), policyValues));
        long seed;
        try {
            seed = Long.parseLong(options.string("seed"));
        } catch (NumberFormatException bad) {
            throw new IllegalArgumentException(cache + ": option 'seed' must be an integer, got '"
                    + options.string("seed") + "'");
        }
        int interval = options.integer("interval", 1, 1 << 20);
        Providers<KvQuantizer> quantizers = Providers.quantizers();
        KvQuantizer keys = quantizers.find(options.string("key-mode"));
        KvQuantizer values = quantizers.find(options.string("value-mode"));
        return new MixedPrecisionConfig(high, low, salient, policy, policyOptions, seed, interval, keys,
                quantizers.resolve(Spec.parse(keys.name())), values, quantizers.resolve(Spec.parse(values.name())));
    }

    /** Tokens of {@code count} that go to low precision: floor((1 − salient ratio) · count), as the official code. */
    int regularCount(int count) {
        return (int) Math.floor((1.0 - salientRatio) * count);
    }
}

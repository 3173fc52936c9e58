package dev.zipcache.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The one registry that selects providers by name: it finds every provider of a kind on the class path with
 * {@link ServiceLoader} and resolves spec strings against them, with errors that list what exists.
 *
 * @param <P> the kind of provider
 */
public final class Providers<P extends NamedProvider> {

    private final String kind;
    private final Map<String, P> byName;

    private Providers(String kind, List<P> providers) {
        this.kind = kind;
        Map<String, P> map = new LinkedHashMap<>();
        providers.stream().sorted(Comparator.comparing(NamedProvider::name)).forEach(provider -> {
            P previous = map.putIfAbsent(provider.name(), provider);
            if (previous != null && previous.getClass() != provider.getClass()) {
                throw new IllegalStateException("two " + kind + " providers are named '" + provider.name() + "': "
                        + previous.getClass().getName() + " and " + provider.getClass().getName());
            }
        });
        this.byName = Map.copyOf(map);
    }

    /** Every provider of {@code type} visible to {@code type}'s class loader and the thread's context loader. */
    public static <P extends NamedProvider> Providers<P> load(Class<P> type, String kind) {
        List<P> found = new ArrayList<>();
        ServiceLoader.load(type, type.getClassLoader()).forEach(found::add);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != type.getClassLoader()) {
            ServiceLoader.load(type, context).forEach(found::add);
        }
        return new Providers<>(kind, found);
    }

    /** The registry of KV caches. */
    public static Providers<KvCacheProvider> kvCaches() {
        return load(KvCacheProvider.class, "KV cache");
    }

    /** The registry of quantization schemes. */
    public static Providers<KvQuantizer> quantizers() {
        return load(KvQuantizer.class, "quantizer");
    }

    /** The registry of saliency policies. */
    public static Providers<SaliencyPolicy> saliencyPolicies() {
        return load(SaliencyPolicy.class, "saliency policy");
    }

    /** Every provider, sorted by name. */
    public List<P> all() {
        return byName.values().stream().sorted(Comparator.comparing(NamedProvider::name)).toList();
    }

    /**
     * The provider a spec names.
     *
     * @throws IllegalArgumentException naming the known providers when none has that name
     */
    public P find(String name) {
        P provider = byName.get(name);
        if (provider == null) {
            throw new IllegalArgumentException("unknown " + kind + " '" + name + "'; available: "
                    + (byName.isEmpty() ? "none (is zipcache-impl on the class path?)"
                    : String.join(", ", byName.keySet().stream().sorted().toList())));
        }
        return provider;
    }

    /**
     * Resolves a spec against its provider: checks every key and lays the values over the defaults.
     *
     * @throws IllegalArgumentException for an unknown name or key, listing what exists
     */
    public SpecOptions resolve(Spec spec) {
        P provider = find(spec.name());
        Map<String, String> values = new LinkedHashMap<>();
        provider.options().forEach(option -> values.put(option.key(), option.defaultValue()));
        spec.options().forEach((key, value) -> {
            if (!values.containsKey(key)) {
                String known = provider.options().stream().map(OptionDescriptor::key).collect(Collectors.joining(", "));
                throw new IllegalArgumentException(kind + " '" + spec.name() + "' has no option '" + key + "'; "
                        + (known.isEmpty() ? "it takes none" : "its options: " + known));
            }
            values.put(key, value);
        });
        return new SpecOptions(provider.name(), values);
    }

    /** Parses {@code spec} and creates a KV cache from it (only for the KV-cache registry). */
    public static KvCache createCache(String spec, KvCacheGeometry geometry) {
        Providers<KvCacheProvider> caches = kvCaches();
        Spec parsed = Spec.parse(spec);
        SpecOptions options = caches.resolve(parsed);
        return caches.find(parsed.name()).create(geometry, options);
    }
}

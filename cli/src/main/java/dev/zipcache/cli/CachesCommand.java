package dev.zipcache.cli;

import dev.zipcache.spi.NamedProvider;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.Providers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code zipcache caches}: every KV cache, quantizer and saliency policy on the class path, with its options. */
@Command(name = "caches", mixinStandardHelpOptions = true,
        description = "List the KV caches (--kv-cache NAME[:key=value,...]), quantizers and saliency policies.")
final class CachesCommand implements Runnable {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public void run() {
        Map<String, List<? extends NamedProvider>> sections = new LinkedHashMap<>();
        sections.put("KV caches (--kv-cache NAME[:key=value,...])", Providers.kvCaches().all());
        sections.put("quantizers (key-mode=, value-mode=)", Providers.quantizers().all());
        sections.put("saliency policies (saliency=)", Providers.saliencyPolicies().all());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> root = Json.object();
            List<String> keys = List.of("caches", "quantizers", "saliency_policies");
            int index = 0;
            for (List<? extends NamedProvider> providers : sections.values()) {
                root.put(keys.get(index++), rows(providers));
            }
            out.println(Json.write(root));
        } else {
            sections.forEach((title, providers) -> {
                out.println(title);
                for (NamedProvider provider : providers) {
                    out.printf("  %-18s %s%n", provider.name(), provider.description());
                    for (OptionDescriptor option : provider.options()) {
                        out.printf("      %s=%s  %s%n", option.key(), option.defaultValue(), option.description());
                    }
                }
                out.println();
            });
        }
        out.flush();
    }

    private static List<Map<String, Object>> rows(List<? extends NamedProvider> providers) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (NamedProvider provider : providers) {
            Map<String, Object> row = Json.object();
            row.put("name", provider.name());
            row.put("description", provider.description());
            List<Map<String, Object>> options = new ArrayList<>();
            for (OptionDescriptor option : provider.options()) {
                Map<String, Object> entry = Json.object();
                entry.put("key", option.key());
                entry.put("default", option.defaultValue());
                entry.put("description", option.description());
                options.add(entry);
            }
            row.put("options", options);
            rows.add(row);
        }
        return rows;
    }
}

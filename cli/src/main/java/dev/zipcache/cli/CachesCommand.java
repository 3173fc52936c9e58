package dev.zipcache.cli;

import dev.zipcache.spi.KvCacheProvider;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.Providers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code zipcache caches}: every KV cache on the class path with its options. */
@Command(name = "caches", mixinStandardHelpOptions = true,
        description = "List the KV caches (--kv-cache NAME[:key=value,...]) and their options.")
final class CachesCommand implements Runnable {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "print a JSON array")
    boolean json;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        List<KvCacheProvider> providers = Providers.kvCaches().all();
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (KvCacheProvider provider : providers) {
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
            out.println(Json.write(rows));
        } else {
            for (KvCacheProvider provider : providers) {
                out.printf("%-10s %s%n", provider.name(), provider.description());
                for (OptionDescriptor option : provider.options()) {
                    out.printf("    %s=%s  %s%n", option.key(), option.defaultValue(), option.description());
                }
            }
        }
        out.flush();
    }
}

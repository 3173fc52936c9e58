package dev.zipcache.engine.evaluate;

import dev.zipcache.spi.Spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Expands a sweep spec into the plain specs it stands for. A sweep spec is a spec string {@code NAME[:key=value,...]}
 * in which an option may list several values: a comma-separated token without {@code =} is another value of the
 * option before it. {@code kivi:bits=2,4,group=32} stands for {@code kivi:bits=2,group=32} and
 * {@code kivi:bits=4,group=32}; several lists give their cartesian product.
 *
 * <p>Values cannot hold commas in the spec syntax ({@link Spec#parse} splits on them), so every plain spec is a sweep
 * of one configuration: the sweep syntax gives a meaning only to text that was an error before.
 */
public final class SpecSweep {

    private SpecSweep() {
    }

    /**
     * The configurations of one sweep spec, the first option's values varying slowest (nested loops in the order
     * written).
     *
     * @throws IllegalArgumentException when the text is empty, has no name, starts its options with a bare value,
     *                                  has an empty value or key, or gives an option or a value twice
     */
    public static List<Spec> expand(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty spec: expected NAME[:key=value1,value2,...]");
        }
        String trimmed = text.strip();
        int colon = trimmed.indexOf(':');
        String name = (colon < 0 ? trimmed : trimmed.substring(0, colon)).strip();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("spec '" + text + "' has no name: expected NAME[:key=value,...]");
        }
        if (name.contains(",")) {
            // "fp16,kivi" reads like a list of caches; each cache is its own spec.
            throw new IllegalArgumentException("spec '" + text + "': a cache name cannot be a list; give one spec per"
                    + " cache");
        }
        Map<String, List<String>> valuesByKey = new LinkedHashMap<>();
        if (colon >= 0) {
            List<String> current = null;
            for (String token : trimmed.substring(colon + 1).split(",", -1)) {
                int equals = token.indexOf('=');
                if (equals < 0) {
                    if (current == null) {
                        throw new IllegalArgumentException("spec '" + text + "': '" + token.strip()
                                + "' is not key=value and follows no option it could be another value of");
                    }
                    addValue(current, token.strip(), text);
                    continue;
                }
                String key = token.substring(0, equals).strip();
                if (key.isEmpty()) {
                    throw new IllegalArgumentException("spec '" + text + "': option '" + token.strip()
                            + "' has no key");
                }
                if (valuesByKey.containsKey(key)) {
                    throw new IllegalArgumentException("spec '" + text + "': option '" + key + "' given twice");
                }
                current = new ArrayList<>();
                addValue(current, token.substring(equals + 1).strip(), text);
                valuesByKey.put(key, current);
            }
        }
        List<Spec> configurations = new ArrayList<>();
        product(name, new ArrayList<>(valuesByKey.entrySet()), 0, new LinkedHashMap<>(), configurations);
        return List.copyOf(configurations);
    }

    /**
     * The configurations of several sweep specs, in order; a configuration that two specs both give is kept once
     * (it would be measured twice for nothing).
     *
     * @throws IllegalArgumentException when a spec is malformed (see {@link #expand}) or the list is empty
     */
    public static List<Spec> expandAll(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("nothing to sweep: give at least one spec");
        }
        LinkedHashSet<Spec> configurations = new LinkedHashSet<>();
        for (String text : texts) {
            configurations.addAll(expand(text));
        }
        return List.copyOf(configurations);
    }

    private static void addValue(List<String> values, String value, String text) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("spec '" + text + "': an option has an empty value");
        }
        if (values.contains(value)) {
            throw new IllegalArgumentException("spec '" + text + "': value '" + value + "' listed twice");
        }
        values.add(value);
    }

    private static void product(String name, List<Map.Entry<String, List<String>>> lists, int index,
                                LinkedHashMap<String, String> chosen, List<Spec> out) {
        if (index == lists.size()) {
            out.add(new Spec(name, chosen));
            return;
        }
        Map.Entry<String, List<String>> list = lists.get(index);
        for (String value : list.getValue()) {
            chosen.put(list.getKey(), value);
            product(name, lists, index + 1, chosen, out);
        }
        chosen.remove(list.getKey());
    }
}

package dev.zipcache.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A parsed spec string {@code NAME[:key=value,...]}, the one syntax used to select a provider everywhere (CLI flag,
 * REST field, builder, configuration property).
 *
 * @param name    the provider's name
 * @param options the options in the order given
 */
public record Spec(String name, Map<String, String> options) {

    public Spec {
        options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException when the text is empty or an option is not {@code key=value}
     */
    public static Spec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty spec: expected NAME[:key=value,...]");
        }
        String trimmed = text.strip();
        int colon = trimmed.indexOf(':');
        String name = (colon < 0 ? trimmed : trimmed.substring(0, colon)).strip();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("spec '" + text + "' has no name: expected NAME[:key=value,...]");
        }
        Map<String, String> options = new LinkedHashMap<>();
        if (colon >= 0) {
            for (String pair : trimmed.substring(colon + 1).split(",", -1)) {
                int equals = pair.indexOf('=');
                if (equals <= 0) {
                    throw new IllegalArgumentException(
                            "spec '" + text + "': option '" + pair.strip() + "' is not key=value");
                }
                String key = pair.substring(0, equals).strip();
                if (options.put(key, pair.substring(equals + 1).strip()) != null) {
                    throw new IllegalArgumentException("spec '" + text + "': option '" + key + "' given twice");
                }
            }
        }
        return new Spec(name, options);
    }

    @Override
    public String toString() {
        if (options.isEmpty()) {
            return name;
        }
        StringBuilder text = new StringBuilder(name).append(':');
        options.forEach((key, value) -> text.append(key).append('=').append(value).append(','));
        return text.substring(0, text.length() - 1);
    }
}

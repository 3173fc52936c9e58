package dev.zipcache.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A provider's options with the spec's values laid over the documented defaults, with typed readers that turn a bad
 * value into a message naming the option.
 *
 * @param provider the provider's name, for messages
 * @param values   every documented option's value
 */
public record SpecOptions(String provider, Map<String, String> values) {

    public SpecOptions {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The raw value of {@code key}. */
    public String string(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException(provider + ": no option '" + key + "'");
        }
        return value;
    }

    /** The value of {@code key} as an int within {@code [min, max]}. */
    public int integer(String key, int min, int max) {
        String value = string(key);
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the accepted range
        }
        throw new IllegalArgumentException(
                provider + ": option '" + key + "' must be an integer in [" + min + ", " + max + "], got '" + value + "'");
    }

    /** The value of {@code key} as a double within {@code [min, max]}. */
    public double decimal(String key, double min, double max) {
        String value = string(key);
        try {
            double parsed = Double.parseDouble(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the accepted range
        }
        throw new IllegalArgumentException(
                provider + ": option '" + key + "' must be a number in [" + min + ", " + max + "], got '" + value + "'");
    }
}

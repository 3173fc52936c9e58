package dev.zipcache.engine.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A GGUF file's key/value metadata in file order, with typed readers whose errors name the key. */
public record GgufMetadata(Map<String, GgufValue> entries) {

    public GgufMetadata {
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /** The value of {@code key}, if present. */
    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    private GgufValue require(String key) {
        GgufValue value = entries.get(key);
        if (value == null) {
            throw new GgufFormatException("metadata key '" + key + "' is missing");
        }
        return value;
    }

    /** A string value. */
    public String string(String key) {
        return asString(key, require(key));
    }

    public Optional<String> optionalString(String key) {
        return find(key).map(value -> asString(key, value));
    }

    /** An integer value of any integer type. */
    public long integer(String key) {
        return asLong(key, require(key));
    }

    public Optional<Long> optionalInteger(String key) {
        return find(key).map(value -> asLong(key, value));
    }

    /** A float value (FLOAT32 or FLOAT64; an integer is accepted too). */
    public double decimal(String key) {
        return asDouble(key, require(key));
    }

    public Optional<Double> optionalDecimal(String key) {
        return find(key).map(value -> asDouble(key, value));
    }

    public Optional<Boolean> optionalBool(String key) {
        return find(key).map(value -> {
            if (value.value() instanceof Boolean flag) {
                return flag;
            }
            throw wrongType(key, value, "BOOL");
        });
    }

    /** The elements of an array value. */
    public List<?> array(String key) {
        GgufValue value = require(key);
        if (value.value() instanceof GgufValue.GgufArray array) {
            return array.elements();
        }
        throw wrongType(key, value, "ARRAY");
    }

    public Optional<List<?>> optionalArray(String key) {
        return entries.containsKey(key) ? Optional.of(array(key)) : Optional.empty();
    }

    private static String asString(String key, GgufValue value) {
        if (value.value() instanceof String text) {
            return text;
        }
        throw wrongType(key, value, "STRING");
    }

    private static long asLong(String key, GgufValue value) {
        if (value.value() instanceof Long number) {
            return number;
        }
        throw wrongType(key, value, "an integer");
    }

    private static double asDouble(String key, GgufValue value) {
        return switch (value.value()) {
            case Float number -> number;
            case Double number -> number;
            case Long number -> number;
            default -> throw wrongType(key, value, "a number");
        };
    }

    private static GgufFormatException wrongType(String key, GgufValue value, String expected) {
        return new GgufFormatException("metadata key '" + key + "' is " + value.type() + ", expected " + expected);
    }
}

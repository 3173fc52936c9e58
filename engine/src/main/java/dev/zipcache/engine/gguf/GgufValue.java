package dev.zipcache.engine.gguf;

import java.util.List;

/**
 * One metadata value with its GGUF type, so that a file can be written back exactly as read. Integers are held as
 * {@link Long}, FLOAT32 as {@link Float}, FLOAT64 as {@link Double}, BOOL as {@link Boolean}, STRING as
 * {@link String}, and ARRAY as a {@link GgufArray}.
 */
public record GgufValue(GgufValueType type, Object value) {

    public static GgufValue string(String value) {
        return new GgufValue(GgufValueType.STRING, value);
    }

    public static GgufValue uint32(long value) {
        return new GgufValue(GgufValueType.UINT32, value);
    }

    public static GgufValue int32(long value) {
        return new GgufValue(GgufValueType.INT32, value);
    }

    public static GgufValue float32(float value) {
        return new GgufValue(GgufValueType.FLOAT32, value);
    }

    public static GgufValue bool(boolean value) {
        return new GgufValue(GgufValueType.BOOL, value);
    }

    public static GgufValue array(GgufValueType elementType, List<?> elements) {
        return new GgufValue(GgufValueType.ARRAY, new GgufArray(elementType, elements));
    }

    /** A short rendering for {@code zipcache info}: arrays show their type, length and first elements. */
    public String display() {
        if (value instanceof GgufArray array) {
            List<?> head = array.elements().subList(0, Math.min(6, array.elements().size()));
            return "[" + array.elementType() + " × " + array.elements().size() + "] " + head
                    + (array.elements().size() > head.size() ? "…" : "");
        }
        if (value instanceof String text) {
            String oneLine = text.replace("\n", "\\n");
            return oneLine.length() > 120 ? "\"" + oneLine.substring(0, 117) + "…\"" : "\"" + oneLine + "\"";
        }
        return String.valueOf(value);
    }

    /** The elements of an ARRAY value, possibly nested arrays. */
    public record GgufArray(GgufValueType elementType, List<?> elements) {
        public GgufArray {
            elements = List.copyOf(elements);
        }
    }
}

package dev.zipcache.engine.tensor;

import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** A tensor is stored in a ggml type that zipcache has no kernel for. */
public final class UnsupportedTensorTypeException extends IllegalArgumentException {

    private static final Set<GgmlType> SUPPORTED_TYPES = EnumSet.of(
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K);

    /** The types zipcache can compute with, for messages. */
    public static final String SUPPORTED = SUPPORTED_TYPES.stream().map(GgmlType::name)
            .collect(Collectors.joining(", "));

    /** Whether there is a kernel for {@code type}. */
    public static boolean isSupported(GgmlType type) {
        return SUPPORTED_TYPES.contains(type);
    }

    public UnsupportedTensorTypeException(String tensor, GgmlType type) {
        super("tensor '" + tensor + "' has type " + type + ", which zipcache cannot compute with; supported: "
                + SUPPORTED);
    }
}

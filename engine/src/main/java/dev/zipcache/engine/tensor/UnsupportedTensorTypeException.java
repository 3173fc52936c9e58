package dev.zipcache.engine.tensor;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A tensor is stored in a ggml type that zipcache has no kernel for. */
public final class UnsupportedTensorTypeException extends IllegalArgumentException {

    /** The types zipcache can compute with. */
    public static final String SUPPORTED = Arrays.stream(new GgmlType[] {
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K})
            .map(GgmlType::name).collect(Collectors.joining(", "));

    public UnsupportedTensorTypeException(String tensor, GgmlType type) {
        super("tensor '" + tensor + "' has type " + type + ", which zipcache cannot compute with; supported: "
                + SUPPORTED);
    }
}

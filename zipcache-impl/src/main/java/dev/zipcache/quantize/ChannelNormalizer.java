package dev.zipcache.quantize;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How CST derives a column's scale from its values (ZIPCACHE.md §4 step 1, ambiguity A1 in §9). */
public enum ChannelNormalizer {

    /** {@code s_c = sqrt(max |x[·, c]|)}: what the official code ships. */
    SQRT_MAX_ABS("sqrt-max-abs"),

    /** {@code s_c = max |x[·, c]|}: Algorithm 1 as extracted from the paper. */
    MAX_ABS("max-abs");

    private final String optionValue;

    ChannelNormalizer(String optionValue) {
        this.optionValue = optionValue;
    }

    /** The spelling in a spec ({@code cst:normalizer=max-abs}). */
    public String optionValue() {
        return optionValue;
    }

    /**
     * The normalizer spelled {@code value}.
     *
     * @throws IllegalArgumentException listing the accepted spellings
     */
    public static ChannelNormalizer parse(String value) {
        for (ChannelNormalizer normalizer : values()) {
            if (normalizer.optionValue.equals(value)) {
                return normalizer;
            }
        }
        throw new IllegalArgumentException("cst: option 'normalizer' must be one of "
                + Arrays.stream(values()).map(ChannelNormalizer::optionValue).collect(Collectors.joining(", "))
                + ", got '" + value + "'");
    }

    /** The scale of a column whose largest magnitude is {@code maxAbs}. */
    public float scale(float maxAbs) {
        return switch (this) {
            case SQRT_MAX_ABS -> (float) Math.sqrt(maxAbs);
            case MAX_ABS -> maxAbs;
        };
    }
}

package dev.zipcache.quantize;

import dev.zipcache.spi.SpecOptions;

import java.util.List;

/** {@code tokenwise}: one fp16 (min, step) per row over all its columns (ZIPCACHE.md §4 step 4, without scales). */
public final class TokenwiseQuantizer extends MinMaxQuantizer {

    public TokenwiseQuantizer() {
        super("tokenwise", "one (min, step) per token over all its channels", List.of());
    }

    @Override
    int group(int width, SpecOptions options) {
        return width;
    }
}

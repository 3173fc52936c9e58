package dev.zipcache.quantize;

import dev.zipcache.spi.SpecOptions;

import java.util.List;

/**
 * {@code channelwise}: one fp16 (min, step) per column over all rows of the block, as ZipCache quantizes keys per
 * precision group (ZIPCACHE.md §3). Takes no channel scales (they would be absorbed by the per-column parameters).
 */
public final class ChannelwiseQuantizer extends MinMaxQuantizer {

    public ChannelwiseQuantizer() {
        super("channelwise", "one (min, step) per channel over all tokens of the block (ZipCache keys)", List.of());
    }

    @Override
    int group(int width, SpecOptions options) {
        return PER_COLUMN;
    }
}

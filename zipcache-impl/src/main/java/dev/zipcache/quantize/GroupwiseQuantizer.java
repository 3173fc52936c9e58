package dev.zipcache.quantize;

import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SpecOptions;

import java.util.List;

/**
 * {@code groupwise}: one fp16 (min, step) per row and run of {@code group} consecutive columns, runs starting at
 * column 0 of the row. KIVI's values use {@code group = min(32, head dimension)} (ZIPCACHE.md §10.1); a per-(token,
 * head) tokenwise scheme uses {@code group = head dimension}. When {@code group} does not divide the width the last
 * run of each row is shorter; a group wider than the row means one run per row.
 */
public final class GroupwiseQuantizer extends MinMaxQuantizer {

    /** The option that sets the run length. */
    public static final String GROUP = "group";

    static final int MAX_GROUP = 1 << 20;

    public GroupwiseQuantizer() {
        super("groupwise", "one (min, step) per token and run of 'group' consecutive channels (KIVI values)",
                List.of(new OptionDescriptor(GROUP, "32",
                        "channels per (min, step) pair; runs start at each row's column 0, the last may be shorter")));
    }

    @Override
    int group(int width, SpecOptions options) {
        return options.integer(GROUP, 1, MAX_GROUP);
    }
}

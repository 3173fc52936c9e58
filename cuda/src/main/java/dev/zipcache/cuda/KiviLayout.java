package dev.zipcache.cuda;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.SpecOptions;

import java.util.Optional;

/**
 * A {@code kivi} cache's settings as the device store holds them (ZIPCACHE.md §10.1, the options of the CPU's
 * {@code kivi} provider), and the sizes that follow: keys quantized per channel over blocks of {@code tokenGroup}
 * tokens, values per token over runs of {@code valueRun = min(group, headDimension)} channels, each token a packed row
 * of all {@code width = kvHeads × headDimension} channels, and {@code residual} newest tokens kept in fp16.
 * The zipcache-impl module is not a compile-time dependency of this one, so the few formulas of its packing
 * ({@code CodePacking.rowBytes}) and bookkeeping are repeated here; the tests pin them to the CPU cache's.
 */
record KiviLayout(int kvHeads, int headDimension, int bits, int tokenGroup, int residual, int valueRun) {

    /** The cache spec name. */
    static final String SPEC = "kivi";

    /**
     * The layout of a resolved {@code kivi} spec (already validated by the CPU provider), or empty where the device
     * store does not take its options: 3-bit codes (a bit stream, not the planar layout the kernels read) and
     * {@code timing=before-attention}.
     */
    static Optional<KiviLayout> of(SpecOptions options, KvCacheGeometry geometry) {
        int bits = options.integer("bits", 2, 8);
        if (bits == 3 || !options.string("timing").equals("after-attention")) {
            return Optional.empty();
        }
        int group = options.integer("group", 1, 1 << 16);
        return Optional.of(new KiviLayout(geometry.kvHeads(), geometry.headDimension(), bits, group,
                options.integer("residual", group, 1 << 20), Math.min(group, geometry.headDimension())));
    }

    /** Channels per token, all KV heads. */
    int width() {
        return kvHeads * headDimension;
    }

    /** Bytes of one packed row, {@code ceil(width · bits / 8)}, which is also a plane's width. */
    int rowBytes() {
        return (int) Math.ceilDiv((long) width() * bits, Byte.SIZE);
    }

    /** Value (min, step) pairs per token. */
    int runs() {
        return Math.ceilDiv(width(), valueRun);
    }

    /** Device bytes of quantized keys: codes plus an fp16 (min, step) per channel and block of tokens. */
    long keyBytes(long tokens) {
        return tokens * rowBytes() + tokens / tokenGroup * width() * 2L * Short.BYTES;
    }

    /** Device bytes of quantized values: codes plus an fp16 (min, step) per token and run. */
    long valueBytes(long tokens) {
        return tokens * rowBytes() + tokens * runs() * 2L * Short.BYTES;
    }

    /** Bytes of fp16 tokens, keys or values. */
    long windowBytes(long tokens) {
        return tokens * width() * Short.BYTES;
    }
}

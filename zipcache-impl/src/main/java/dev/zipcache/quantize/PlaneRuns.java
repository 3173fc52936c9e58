package dev.zipcache.quantize;

/**
 * The runs of contiguous codes that a slice {@code [column, column + length)} of a planar packed row (a block's
 * segment of one row) covers. With b-bit codes, a row of w channels takes {@code rowBytes = w·b/8} bytes: channel c sits in plane
 * {@code c / rowBytes}, at bit {@code plane · b} of byte {@code c mod rowBytes}. A slice therefore crosses into the
 * next plane at every multiple of {@code rowBytes}; a 2-bit head slice of 128 channels, for one, may span two.
 *
 * <p>The runs' whole loads of {@link QuantizedVectors#CODE_LANES} codes are also listed flat, as chunks, so that a
 * kernel walks a slice in one loop whatever the planes (a loop per run costs a 2-bit slice of 128 channels, whose runs
 * are four loads long, a fifth of its time); the runs' tails stay with the runs.
 *
 * <p>Mutable and reused per thread: the four-row kernels run once per four rows, the split once per call.
 */
final class PlaneRuns {

    /** A slice covers at most every plane of its row: 8 with 1-bit codes. */
    private static final int MAX_RUNS = 8;

    private final int[] offsets = new int[MAX_RUNS];
    private final int[] shifts = new int[MAX_RUNS];
    private final int[] weightOffsets = new int[MAX_RUNS];
    private final int[] lengths = new int[MAX_RUNS];
    private int count;
    private int[] chunkOffsets = new int[16];
    private int[] chunkShifts = new int[16];
    private int[] chunkWeightOffsets = new int[16];
    private int chunkCount;
    private boolean tails;
    private int planeBytes;
    private int bits;
    private boolean wholePlanes;

    /** Splits {@code [column, column + length)} of rows of {@code rowBytes} bytes of {@code bits}-bit codes. */
    PlaneRuns split(int column, int length, int rowBytes, int bits) {
        this.planeBytes = rowBytes;
        this.bits = bits;
        wholePlanes = column == 0 && length == rowBytes * (Byte.SIZE / bits) && Byte.SIZE % bits == 0
                && rowBytes % QuantizedVectors.CODE_LANES == 0;
        count = 0;
        for (int c = column, end = column + length; c < end; count++) {
            int plane = c / rowBytes;
            int runEnd = Math.min(end, (plane + 1) * rowBytes);
            offsets[count] = c - plane * rowBytes;
            shifts[count] = plane * bits;
            weightOffsets[count] = c - column;
            lengths[count] = runEnd - c;
            c = runEnd;
        }
        chunkCount = 0;
        tails = false;
        for (int run = 0; run < count; run++) {
            tails |= lengths[run] % QuantizedVectors.CODE_LANES != 0;
            for (int i = 0; i + QuantizedVectors.CODE_LANES <= lengths[run]; i += QuantizedVectors.CODE_LANES) {
                if (chunkCount == chunkOffsets.length) {
                    chunkOffsets = java.util.Arrays.copyOf(chunkOffsets, 2 * chunkCount);
                    chunkShifts = java.util.Arrays.copyOf(chunkShifts, 2 * chunkCount);
                    chunkWeightOffsets = java.util.Arrays.copyOf(chunkWeightOffsets, 2 * chunkCount);
                }
                chunkOffsets[chunkCount] = offsets[run] + i;
                chunkShifts[chunkCount] = shifts[run];
                chunkWeightOffsets[chunkCount] = weightOffsets[run] + i;
                chunkCount++;
            }
        }
        return this;
    }

    int count() {
        return count;
    }

    /** Byte offset of run {@code run}'s first code from the start of its row. */
    int offset(int run) {
        return offsets[run];
    }

    /** Right shift that brings run {@code run}'s codes to the low bits of their bytes. */
    int shift(int run) {
        return shifts[run];
    }

    /** Index of run {@code run}'s first channel within the slice. */
    int weightOffset(int run) {
        return weightOffsets[run];
    }

    /** Channels in run {@code run}. */
    int length(int run) {
        return lengths[run];
    }

    /** Whether any run ends in codes short of a whole load, which the kernels then take one at a time. */
    boolean hasTails() {
        return tails;
    }

    /**
     * Whether the slice is every plane of its rows and each plane is whole loads: then each load of a row's bytes
     * holds a code of every plane, {@link #planeBytes()} columns apart.
     */
    boolean wholePlanes() {
        return wholePlanes;
    }

    /** Bytes of one plane of a row: the row's bytes. */
    int planeBytes() {
        return planeBytes;
    }

    /** Bits per code. */
    int bits() {
        return bits;
    }

    /** Whole loads of codes in all runs together. */
    int chunkCount() {
        return chunkCount;
    }

    /** Byte offset of chunk {@code chunk}'s first code from the start of its row. */
    int chunkOffset(int chunk) {
        return chunkOffsets[chunk];
    }

    /** Right shift that brings chunk {@code chunk}'s codes to the low bits of their bytes. */
    int chunkShift(int chunk) {
        return chunkShifts[chunk];
    }

    /** Index of chunk {@code chunk}'s first channel within the slice. */
    int chunkWeightOffset(int chunk) {
        return chunkWeightOffsets[chunk];
    }
}

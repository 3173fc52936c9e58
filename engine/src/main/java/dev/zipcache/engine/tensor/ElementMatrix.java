package dev.zipcache.engine.tensor;

import java.lang.foreign.MemorySegment;

/** A type without blocks (F32, F16, BF16): every element is stored on its own, {@code elementBytes} wide. */
abstract class ElementMatrix extends MappedMatrix {

    private final int elementBytes;

    ElementMatrix(GgmlType type, MemorySegment segment, int rows, int columns) {
        super(type, segment, rows, columns);
        this.elementBytes = type.bytesPerBlock();
    }

    /** The weight stored at byte offset {@code offset}. */
    abstract float weightAt(long offset);

    @Override
    final void decodeBlock(long blockStart, float[] out, int outOffset) {
        out[outOffset] = weightAt(blockStart);
    }

    /**
     * Adds the columns {@code [fromColumn, columns)} a vector loop left over (fewer than a vector's lanes) to
     * {@code partialSum}.
     */
    final float addTail(float partialSum, long rowStart, int fromColumn, float[] x, int xOffset) {
        float sum = partialSum;
        for (int column = fromColumn; column < columns; column++) {
            sum += weightAt(rowStart + (long) column * elementBytes) * x[xOffset + column];
        }
        return sum;
    }
}

package dev.zipcache.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * State and scalar code shared by the {@link WeightMatrix} implementations: a row-major segment of whole blocks, read
 * in place (never copied onto the heap). Subclasses supply the block decoder and a vectorized {@code dot}.
 */
abstract class MappedMatrix {

    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MemorySegment segment;
    final int rows;
    final int columns;
    private final GgmlType type;
    private final long rowBytes;

    MappedMatrix(GgmlType type, MemorySegment segment, int rows, int columns) {
        if (rows < 0 || columns < 0) {
            throw new IllegalArgumentException("a " + type + " matrix cannot have " + rows + " × " + columns
                    + " elements");
        }
        if (columns % type.blockSize() != 0) {
            throw new IllegalArgumentException("rows of " + columns + " elements are not a multiple of " + type
                    + "'s block of " + type.blockSize());
        }
        this.type = type;
        this.rowBytes = type.bytesFor(columns);
        long needed = rows * rowBytes;
        if (segment.byteSize() != needed) {
            throw new IllegalArgumentException("a " + rows + " × " + columns + " " + type + " matrix takes " + needed
                    + " bytes, but the segment has " + segment.byteSize());
        }
        this.segment = segment;
        this.rows = rows;
        this.columns = columns;
    }

    public final GgmlType type() {
        return type;
    }

    public final int rows() {
        return rows;
    }

    public final int columns() {
        return columns;
    }

    public final MemorySegment segment() {
        return segment;
    }

    /**
     * Decodes the block at byte offset {@code blockStart} of the segment into {@code out[outOffset ..]}, exactly as
     * ggml's {@code dequantize_row_*} would: the scalar definition of the type.
     */
    abstract void decodeBlock(long blockStart, float[] out, int outOffset);

    public final void dequantizeRow(int row, float[] out, int outOffset) {
        long rowStart = rowStart(row);
        Objects.checkFromIndexSize(outOffset, columns, out.length);
        int blockSize = type.blockSize();
        for (int block = 0; block < columns / blockSize; block++) {
            decodeBlock(rowStart + (long) block * type.bytesPerBlock(), out, outOffset + block * blockSize);
        }
    }

    /** Decodes one block at a time and sums {@code w · x} left to right: slow, plain, the oracle for {@code dot}. */
    public final float dotScalar(int row, float[] x, int xOffset) {
        long rowStart = rowStart(row, x, xOffset);
        int blockSize = type.blockSize();
        float[] weights = new float[blockSize];
        float sum = 0f;
        for (int block = 0; block < columns / blockSize; block++) {
            decodeBlock(rowStart + (long) block * type.bytesPerBlock(), weights, 0);
            for (int i = 0; i < blockSize; i++) {
                sum += weights[i] * x[xOffset + block * blockSize + i];
            }
        }
        return sum;
    }

    /** Byte offset of row {@code row}. */
    final long rowStart(int row) {
        Objects.checkIndex(row, rows);
        return row * rowBytes;
    }

    /** Byte offset of row {@code row}, after checking that {@code x} holds a whole row from {@code xOffset}. */
    final long rowStart(int row, float[] x, int xOffset) {
        Objects.checkFromIndexSize(xOffset, columns, x.length);
        return rowStart(row);
    }

    /** The IEEE half-precision float at byte offset {@code offset} (block scales are stored this way). */
    final float halfAt(long offset) {
        return Float.float16ToFloat(segment.get(SHORT_LE, offset));
    }

    /** The byte at {@code offset}, 0..255. */
    final int unsignedByteAt(long offset) {
        return Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, offset));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + rows + " × " + columns + "]";
    }
}

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
        decodeRow(rowStart, out, outOffset);
    }

    /** {@link #dequantizeRow} through {@link #decodeBlock} alone: the scalar twin of the vectorized row decoders. */
    public final void dequantizeRowScalar(int row, float[] out, int outOffset) {
        long rowStart = rowStart(row);
        Objects.checkFromIndexSize(outOffset, columns, out.length);
        decodeRowByBlocks(rowStart, out, outOffset);
    }

    /**
     * Decodes the row at byte offset {@code rowStart} into {@code out[outOffset ..]}; {@link #dequantizeRow} has
     * checked the indices. The prefill decodes every weight row once per batch, so the types large models come in
     * override this with vector code, which must give exactly the floats of {@link #decodeBlock}.
     */
    void decodeRow(long rowStart, float[] out, int outOffset) {
        decodeRowByBlocks(rowStart, out, outOffset);
    }

    private void decodeRowByBlocks(long rowStart, float[] out, int outOffset) {
        int blockSize = type.blockSize();
        for (int block = 0; block < columns / blockSize; block++) {
            decodeBlock(rowStart + (long) block * type.bytesPerBlock(), out, outOffset + block * blockSize);
        }
    }

    /** Σ_c W[row, c] · x[xOffset + c], vectorized ({@link WeightMatrix#dot}). */
    public abstract float dot(int row, float[] x, int xOffset);

    /**
     * {@link WeightMatrix#dotRows} for types with a batched kernel: passes of {@code rowsPerPass} rows through
     * {@link #dotRowPass}, the leftover rows (fewer than a pass) through {@link #dot}.
     *
     * <p>A type's {@code rowsPerPass} is as many rows as C2 still compiles into one method: each Vector API call
     * inlines into a large graph before it is intrinsified, and past {@code NodeCountInliningCutoff} C2 stops
     * inlining, so the remaining vectors are boxed on the heap and the kernel becomes hundreds of times slower. Two
     * to four rows already share each input vector between the rows and reduce each row's lanes once.
     */
    final void dotRowsInPasses(int firstRow, int rowCount, float[] x, int xOffset, float[] out, int outOffset,
                               int rowsPerPass) {
        Objects.checkFromIndexSize(firstRow, rowCount, rows);
        Objects.checkFromIndexSize(xOffset, columns, x.length);
        Objects.checkFromIndexSize(outOffset, rowCount, out.length);
        // Pass p takes row p of each of rowsPerPass equal slices of the range, not rowsPerPass neighbours: each row
        // of a pass then streams through its own slice, which the slices' following passes continue, so the hardware
        // prefetchers see rowsPerPass sequential streams instead of loads that hop between neighbouring rows.
        int passes = rowCount / rowsPerPass;
        for (int pass = 0; pass < passes; pass++) {
            dotRowPass(firstRow + pass, passes, x, xOffset, out, outOffset + pass);
        }
        for (int row = firstRow + passes * rowsPerPass; row < firstRow + rowCount; row++) {
            out[outOffset + (row - firstRow)] = dot(row, x, xOffset);
        }
    }

    /**
     * Writes the dot products with {@code x[xOffset ..]} of the rows {@code firstRow + k · rowStride} into
     * {@code out[outIndex + k · rowStride]}, for {@code k} below the type's rows per pass; {@link #dotRowsInPasses}
     * has checked every index. Only types that call {@link #dotRowsInPasses} have such a kernel.
     */
    void dotRowPass(int firstRow, int rowStride, float[] x, int xOffset, float[] out, int outIndex) {
        throw new UnsupportedOperationException(type + " has no batched row kernel");
    }

    /** Bytes per row. */
    final long rowBytes() {
        return rowBytes;
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

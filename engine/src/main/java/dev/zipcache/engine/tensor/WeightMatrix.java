package dev.zipcache.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A read-only weight matrix of {@code rows × columns} elements stored row-major in its GGUF type, typically a slice of
 * a memory-mapped model file. Row {@code r} holds the weights of output {@code r}, so a matrix-vector product is one
 * {@link #dot} per row.
 *
 * <p>Every type has a Vector API {@link #dot} and a plain scalar twin {@link #dotScalar} that the tests use as the
 * oracle. {@link #dotRows} computes a range of rows at once (a decode step's matrix-vector product); its scalar twin
 * is {@link #dotRowsScalar}.
 */
public sealed interface WeightMatrix
        permits F32Matrix, F16Matrix, BF16Matrix, Q8_0Matrix, Q4_0Matrix, Q4_KMatrix, Q6_KMatrix {

    /** The storage type. */
    GgmlType type();

    /** Output features. */
    int rows();

    /** Input features (elements per row). */
    int columns();

    /** The bytes this matrix reads from. */
    MemorySegment segment();

    /** Σ_c W[row, c] · x[xOffset + c], vectorized. */
    float dot(int row, float[] x, int xOffset);

    /** The scalar twin of {@link #dot}: the reference for tests. */
    float dotScalar(int row, float[] x, int xOffset);

    /**
     * {@code out[outOffset + r] = Σ_c W[firstRow + r, c] · x[xOffset + c]} for {@code 0 ≤ r < rowCount}: the rows
     * {@code [firstRow, firstRow + rowCount)} of a matrix-vector product.
     *
     * <p>This default computes one {@link #dot} per row. Types with a batched kernel override it to process several
     * rows per pass, so that each loaded input vector serves all of them and each row's lanes are reduced once; per
     * row they sum in the same order as {@link #dot}.
     *
     * @throws IndexOutOfBoundsException when the rows, {@code x} from {@code xOffset} or {@code out} from
     *                                   {@code outOffset} are out of range
     */
    default void dotRows(int firstRow, int rowCount, float[] x, int xOffset, float[] out, int outOffset) {
        Objects.checkFromIndexSize(firstRow, rowCount, rows());
        Objects.checkFromIndexSize(outOffset, rowCount, out.length);
        for (int r = 0; r < rowCount; r++) {
            out[outOffset + r] = dot(firstRow + r, x, xOffset);
        }
    }

    /** The scalar twin of {@link #dotRows}, one {@link #dotScalar} per row: the reference for tests. */
    default void dotRowsScalar(int firstRow, int rowCount, float[] x, int xOffset, float[] out, int outOffset) {
        Objects.checkFromIndexSize(firstRow, rowCount, rows());
        Objects.checkFromIndexSize(outOffset, rowCount, out.length);
        for (int r = 0; r < rowCount; r++) {
            out[outOffset + r] = dotScalar(firstRow + r, x, xOffset);
        }
    }

    /** Writes row {@code row} as floats into {@code out[outOffset ..]}. */
    void dequantizeRow(int row, float[] out, int outOffset);

    /** The scalar twin of {@link #dequantizeRow}, block by block as ggml defines the type: the reference for tests. */
    void dequantizeRowScalar(int row, float[] out, int outOffset);

    /**
     * Wraps {@code segment} as a matrix of {@code type}.
     *
     * @param name the tensor's name, for error messages
     * @throws UnsupportedTensorTypeException when there is no kernel for {@code type}
     * @throws IllegalArgumentException       when the segment is too small or the row length is not a multiple of the
     *                                        type's block size
     */
    static WeightMatrix of(String name, GgmlType type, MemorySegment segment, int rows, int columns) {
        if (!UnsupportedTensorTypeException.isSupported(type)) {
            throw new UnsupportedTensorTypeException(name, type);
        }
        if (columns % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': rows of " + columns
                    + " elements are not a multiple of " + type + "'s block of " + type.blockSize());
        }
        long needed = type.bytesFor((long) rows * columns);
        if (segment.byteSize() < needed) {
            throw new IllegalArgumentException("tensor '" + name + "' needs " + needed + " bytes but the file holds "
                    + segment.byteSize() + " (truncated file?)");
        }
        MemorySegment exact = segment.asSlice(0, needed);
        return switch (type) {
            case F32 -> new F32Matrix(exact, rows, columns);
            case F16 -> new F16Matrix(exact, rows, columns);
            case BF16 -> new BF16Matrix(exact, rows, columns);
            case Q8_0 -> new Q8_0Matrix(exact, rows, columns);
            case Q4_0 -> new Q4_0Matrix(exact, rows, columns);
            case Q4_K -> new Q4_KMatrix(exact, rows, columns);
            case Q6_K -> new Q6_KMatrix(exact, rows, columns);
            default -> throw new UnsupportedTensorTypeException(name, type);
        };
    }
}

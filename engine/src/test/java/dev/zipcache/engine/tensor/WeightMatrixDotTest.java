package dev.zipcache.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vectorized {@link WeightMatrix#dot} and {@link WeightMatrix#dotRows} of every type agree with their scalar twins
 * on random matrices of awkward sizes: row lengths that are not multiples of any vector length where the type allows
 * it, several blocks, row counts that leave 1–3 rows after the 2- or 4-row passes of the batched kernels, non-zero
 * offsets into {@code x} and the output.
 *
 * <p>These run at the default species (the CPU's preferred width). To check another vector width, pass the property
 * to the forked test JVM, e.g. {@code ./mvnw25 -B -o -q -pl engine -am test -Dtest=WeightMatrixDotTest
 * -Dsurefire.failIfNoSpecifiedTests=false -DargLine=-Dzipcache.vector.bits=128} (or 256;
 * the root pom appends {@code argLine} to the forked JVM's options).
 */
class WeightMatrixDotTest {

    private static final long SEED = 20_250_925L;
    private static final int X_OFFSET = 5;
    private static final int OUT_OFFSET = 2;
    private static final double FLOAT_EPSILON = Math.ulp(1f) / 2; // unit roundoff 2^-24

    static Stream<Arguments> shapes() {
        return shapes(new int[] {1, 3, 7});
    }

    /**
     * Against passes of 4 rows: 1 and 3 are fewer than a pass, 5 and 9 leave 1 row, 7 leaves 3. Against passes of
     * 2, every odd count leaves 1 row. The test also starts the range at every row, so passes start mid-matrix.
     */
    static Stream<Arguments> rowRangeShapes() {
        return shapes(new int[] {1, 3, 5, 7, 9});
    }

    private static Stream<Arguments> shapes(int[] rowCounts) {
        List<Arguments> shapes = new ArrayList<>();
        for (GgmlType type : List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16)) {
            for (int columns : new int[] {1, 7, 33, 100, 1000}) {
                for (int rows : rowCounts) {
                    shapes.add(Arguments.of(type, rows, columns));
                }
            }
        }
        for (GgmlType type : List.of(GgmlType.Q8_0, GgmlType.Q4_0)) {
            for (int columns : new int[] {32, 96, 4096 + 32}) {
                for (int rows : rowCounts) {
                    shapes.add(Arguments.of(type, rows, columns));
                }
            }
        }
        for (GgmlType type : List.of(GgmlType.Q4_K, GgmlType.Q6_K)) {
            for (int columns : new int[] {256, 768}) {
                for (int rows : rowCounts) {
                    shapes.add(Arguments.of(type, rows, columns));
                }
            }
        }
        return shapes.stream();
    }

    @ParameterizedTest(name = "{0} {1}×{2}")
    @MethodSource("shapes")
    void vectorDotMatchesScalarTwin(GgmlType type, int rows, int columns) {
        Random random = new Random(SEED + 31L * type.ordinal() + 7L * rows + columns);
        byte[] bytes = RandomWeights.matrixBytes(random, type, rows, columns);
        float[] x = RandomWeights.gaussian(random, X_OFFSET + columns + 3, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            // Off-heap like a mapped file, and at an odd address: the kernels must not assume alignment.
            MemorySegment storage = arena.allocate(bytes.length + 1L, 1).asSlice(1);
            storage.copyFrom(MemorySegment.ofArray(bytes));
            WeightMatrix matrix = WeightMatrix.of("test." + type, type, storage, rows, columns);
            float[] weights = new float[columns];
            for (int row = 0; row < rows; row++) {
                matrix.dequantizeRow(row, weights, 0);
                float scalar = matrix.dotScalar(row, x, X_OFFSET);
                float vector = matrix.dot(row, x, X_OFFSET);
                assertThat((double) vector).as("row %d", row)
                        .isCloseTo(scalar, within(tolerance(weights, x, columns)));
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}×{2}")
    @MethodSource("rowRangeShapes")
    void dotRowsMatchesScalarTwin(GgmlType type, int rows, int columns) {
        Random random = new Random(SEED + 37L * type.ordinal() + 11L * rows + columns);
        byte[] bytes = RandomWeights.matrixBytes(random, type, rows, columns);
        float[] x = RandomWeights.gaussian(random, X_OFFSET + columns + 3, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment storage = arena.allocate(bytes.length + 1L, 1).asSlice(1);
            storage.copyFrom(MemorySegment.ofArray(bytes));
            WeightMatrix matrix = WeightMatrix.of("test." + type, type, storage, rows, columns);
            // All rows, then every range that starts past row 0 (a pass that does not start at row 0 of the matrix).
            for (int firstRow = 0; firstRow < rows; firstRow++) {
                int rowCount = rows - firstRow;
                float[] vector = new float[OUT_OFFSET + rowCount + 1];
                float[] scalar = new float[vector.length];
                Arrays.fill(vector, Float.NaN);
                matrix.dotRows(firstRow, rowCount, x, X_OFFSET, vector, OUT_OFFSET);
                matrix.dotRowsScalar(firstRow, rowCount, x, X_OFFSET, scalar, OUT_OFFSET);
                assertThat(vector[OUT_OFFSET - 1]).as("before the range").isNaN();
                assertThat(vector[OUT_OFFSET + rowCount]).as("after the range").isNaN();
                float[] weights = new float[columns];
                for (int r = 0; r < rowCount; r++) {
                    matrix.dequantizeRow(firstRow + r, weights, 0);
                    assertThat((double) vector[OUT_OFFSET + r]).as("rows from %d, row %d", firstRow, firstRow + r)
                            .isCloseTo(scalar[OUT_OFFSET + r], within(tolerance(weights, x, columns)));
                }
            }
        }
    }

    /**
     * The vectorized row decoders (the prefill decodes every weight row once per batch with them) give exactly the
     * floats of the block-by-block scalar definition, bit for bit, into an offset destination. For F16 the rows also
     * hold infinities, a NaN and subnormals, which the widening must keep.
     */
    @ParameterizedTest(name = "{0} {1}×{2}")
    @MethodSource("shapes")
    void dequantizeRowMatchesScalarTwin(GgmlType type, int rows, int columns) {
        Random random = new Random(SEED + 41L * type.ordinal() + 13L * rows + columns);
        byte[] bytes = RandomWeights.matrixBytes(random, type, rows, columns);
        if (type == GgmlType.F16) {
            short[] specials = {(short) 0x7C00, (short) 0xFC00, (short) 0x7E01, (short) 0x0001, (short) 0x83FF};
            for (int i = 0; i < specials.length && i < rows * columns; i++) {
                int at = 2 * (int) ((long) i * 7919 % ((long) rows * columns));
                bytes[at] = (byte) specials[i];
                bytes[at + 1] = (byte) (specials[i] >> 8);
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment storage = arena.allocate(bytes.length + 1L, 1).asSlice(1);
            storage.copyFrom(MemorySegment.ofArray(bytes));
            WeightMatrix matrix = WeightMatrix.of("test." + type, type, storage, rows, columns);
            for (int row = 0; row < rows; row++) {
                float[] vector = new float[OUT_OFFSET + columns];
                float[] scalar = new float[vector.length];
                matrix.dequantizeRow(row, vector, OUT_OFFSET);
                matrix.dequantizeRowScalar(row, scalar, OUT_OFFSET);
                for (int column = 0; column < columns; column++) {
                    assertThat(Float.floatToRawIntBits(vector[OUT_OFFSET + column])).as("row %d column %d", row, column)
                            .isEqualTo(Float.floatToRawIntBits(scalar[OUT_OFFSET + column]));
                }
            }
        }
    }

    /**
     * F16's batched kernel widens halves for finite values only and recomputes a row that held an infinity or a NaN;
     * rows with one must still come out as the scalar twin's (±∞ or NaN), and a row with the largest finite half
     * (65504) must not be taken for one. Non-finite halves sit in the vector part and in the tail of 1000 columns.
     */
    @Test
    void f16DotRowsKeepsInfinitiesAndNaNs() {
        int rows = 9;
        int columns = 1000;
        Random random = new Random(SEED);
        byte[] bytes = RandomWeights.matrixBytes(random, GgmlType.F16, rows, columns);
        short[][] specials = {
            {1, 17, (short) 0x7C00}, // +∞ in the vector part
            {2, 500, (short) 0x7E00}, // NaN
            {4, 3, (short) 0xFC00}, // −∞
            {5, 998, (short) 0x7C00}, // +∞ in the tail (1000 is not a multiple of 16 or 8 lanes)
            {7, 64, (short) 0x7BFF}, // 65504, the largest finite half
        };
        for (short[] special : specials) {
            int at = 2 * (special[0] * columns + special[1]);
            bytes[at] = (byte) special[2];
            bytes[at + 1] = (byte) (special[2] >> 8);
        }
        float[] x = RandomWeights.gaussian(random, X_OFFSET + columns, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment storage = arena.allocate(bytes.length, 1);
            storage.copyFrom(MemorySegment.ofArray(bytes));
            WeightMatrix matrix = WeightMatrix.of("test.F16", GgmlType.F16, storage, rows, columns);
            float[] vector = new float[rows];
            matrix.dotRows(0, rows, x, X_OFFSET, vector, 0);
            float[] weights = new float[columns];
            for (int row = 0; row < rows; row++) {
                float scalar = matrix.dotScalar(row, x, X_OFFSET);
                if (Float.isFinite(scalar)) {
                    matrix.dequantizeRow(row, weights, 0);
                    assertThat((double) vector[row]).as("row %d", row)
                            .isCloseTo(scalar, within(tolerance(weights, x, columns)));
                } else {
                    assertThat(Float.valueOf(vector[row])).as("row %d", row).isEqualTo(Float.valueOf(scalar));
                }
            }
            assertThat(vector[1]).isEqualTo(Float.POSITIVE_INFINITY * Math.signum(x[X_OFFSET + 17]));
            assertThat(vector[2]).isNaN();
            assertThat(vector[7]).isFinite();
        }
    }

    /*
     * Both results are float evaluations of the same Σ w_i·x_i, in different orders and with block scales applied
     * at different points. For any order, a float sum of products obeys |computed − exact| ≤ γ_k · Σ|w_i·x_i|
     * with γ_k = k·u/(1 − k·u), u = 2^-24, where k bounds the roundings one term goes through (Higham, "Accuracy
     * and Stability of Numerical Algorithms", §3.1). dotScalar: ≤ 3 to decode a weight (d·scale, ·q, − min), 1
     * for the product, ≤ n − 1 additions: k ≤ n + 3. dot: ≤ 3 to decode or scale, the fma chain of one lane
     * (≤ n / lanes + 1 per block), log2(lanes) ≤ 4 for the lane reduction and the tail: k ≤ n + 4 as well. So the
     * two differ by at most 2·γ_{n+4}·Σ|w_i·x_i|; Σ|w_i·x_i| is taken in double from the scalar-decoded weights,
     * which differ from the vector-decoded ones by a few u relative, already counted above.
     */
    private static double tolerance(float[] weights, float[] x, int columns) {
        double magnitude = 0;
        for (int i = 0; i < columns; i++) {
            magnitude += Math.abs((double) weights[i] * x[X_OFFSET + i]);
        }
        double k = columns + 4;
        double gamma = k * FLOAT_EPSILON / (1 - k * FLOAT_EPSILON);
        return 2 * gamma * magnitude + Float.MIN_NORMAL;
    }
}

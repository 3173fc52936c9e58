package dev.zipcache.engine.compute;

import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.tensor.RandomWeights;
import dev.zipcache.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stacked decode products give each matrix's output exactly what its own {@code dotRows} gives, however the pool
 * cuts the stack: chunks that end inside a matrix, that cross from one matrix into the next, or that hold all three.
 */
class StackedDecodeTaskTest {

    private static final int COLUMNS = 96;

    @Test
    void everyCutOfTheStackGivesEachMatrixItsOwnProducts() {
        Random random = new Random(11);
        // Row counts that no chunk size below divides, so chunks straddle the matrices' boundaries (37 and 48).
        WeightMatrix query = randomQ8(random, 37);
        WeightMatrix key = randomQ8(random, 11);
        WeightMatrix value = randomQ8(random, 20);
        float[] input = RandomWeights.gaussian(random, COLUMNS, 1.0);
        float[][] expected = {products(query, input), products(key, input), products(value, input)};
        try (ComputePool pool = new ComputePool(2)) {
            for (int chunksPerThread : new int[] {1, 3, 7}) {
                float[] queries = new float[37];
                float[] keys = new float[11];
                float[] values = new float[20];
                CpuForwardPass.StackedDecodeTask stacked = new CpuForwardPass.StackedDecodeTask();
                stacked.set(input, query, queries, key, keys, value, values);
                assertThat(stacked.rows()).isEqualTo(68);
                pool.parallelFor(stacked.rows(), 1, chunksPerThread, stacked);
                assertThat(queries).containsExactly(expected[0]);
                assertThat(keys).containsExactly(expected[1]);
                assertThat(values).containsExactly(expected[2]);
            }
        }
    }

    @Test
    void twoMatricesLeaveTheThirdAlone() {
        Random random = new Random(12);
        WeightMatrix gate = randomQ8(random, 29);
        WeightMatrix up = randomQ8(random, 29);
        float[] input = RandomWeights.gaussian(random, COLUMNS, 1.0);
        float[] gates = new float[29];
        float[] ups = new float[29];
        CpuForwardPass.StackedDecodeTask stacked = new CpuForwardPass.StackedDecodeTask();
        stacked.set(input, gate, gates, up, ups, null, null);
        assertThat(stacked.rows()).isEqualTo(58);
        try (ComputePool pool = new ComputePool(2)) {
            pool.parallelFor(stacked.rows(), 1, 3, stacked);
        }
        assertThat(gates).containsExactly(products(gate, input));
        assertThat(ups).containsExactly(products(up, input));
    }

    private static WeightMatrix randomQ8(Random random, int rows) {
        byte[] bytes = RandomWeights.matrixBytes(random, GgmlType.Q8_0, rows, COLUMNS);
        return WeightMatrix.of("w", GgmlType.Q8_0, MemorySegment.ofArray(bytes), rows, COLUMNS);
    }

    /** One matrix's products row by row, each row on its own: no range or pass shares anything with another. */
    private static float[] products(WeightMatrix matrix, float[] input) {
        float[] out = new float[matrix.rows()];
        for (int row = 0; row < matrix.rows(); row++) {
            matrix.dotRows(row, 1, input, 0, out, row);
        }
        return out;
    }
}

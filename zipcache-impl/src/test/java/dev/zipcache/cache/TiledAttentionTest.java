package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The tiled (flash-style) attention kernel equals its scalar twin, and its exact probe probabilities equal those of
 * the one-row kernel, on awkward sizes: head dimensions that are not multiples of the vector length, row counts that
 * are not multiples of the register tile, prefixes that end inside a key block, and views of several segments.
 */
class TiledAttentionTest {

    @ParameterizedTest
    @CsvSource({
            // dimension, group, rows, firstVisible, segments
            "8, 1, 1, 1, 1",
            "24, 3, 7, 1, 2",
            "40, 4, 5, 60, 3",
            "72, 2, 33, 100, 2",
            "128, 4, 64, 1, 1",
            "128, 4, 9, 500, 3",
            "64, 1, 4, 64, 1",
            "17, 2, 13, 129, 3"})
    void tiledMatchesScalar(int dimension, int group, int rows, int firstVisible, int segments) {
        Random random = new Random(dimension * 31L + rows);
        int tokens = firstVisible + rows - 1 + random.nextInt(5);
        AttentionView view = view(random, dimension, tokens, segments);
        int kvHeads = 2;
        int queryWidth = kvHeads * group * dimension;
        int kvHead = 1;
        float[] queries = gaussian(random, 3 + rows * queryWidth, 2f);
        float[] tiled = new float[rows * queryWidth + 5];
        float[] scalar = new float[rows * queryWidth + 5];
        TiledAttention kernel = new TiledAttention(dimension, group);
        kernel.attend(kvHead, view, queries, 3, rows, queryWidth, firstVisible, tiled, 5);
        // Once more on the same instance: the workspace is reused without leftovers.
        kernel.attend(kvHead, view, queries, 3, rows, queryWidth, firstVisible, tiled, 5);
        kernel.attendScalar(kvHead, view, queries, 3, rows, queryWidth, firstVisible, scalar, 5);
        for (int i = 0; i < tiled.length; i++) {
            assertThat(tiled[i]).as("element %d", i).isCloseTo(scalar[i], within(2e-5f));
        }
        // Only the query heads of kvHead are written.
        for (int row = 0; row < rows; row++) {
            assertThat(tiled[5 + row * queryWidth]).isZero();
        }
    }

    @ParameterizedTest
    @CsvSource({"24, 3, 3", "128, 4, 2", "40, 1, 1", "72, 2, 3"})
    void probeProbabilitiesMatchTheOneRowKernel(int dimension, int group, int segments) {
        Random random = new Random(dimension + group);
        int tokens = 300;
        int kvHeads = 2;
        KvCacheGeometry geometry = new KvCacheGeometry(1, kvHeads, kvHeads * group, dimension, tokens);
        int queryWidth = geometry.queryWidth();
        AttentionView view = view(random, dimension, tokens, segments);
        int[] rows = {0, 3, 3, 17, 63, 64, 65, 130, 200, 250, 251, 252, 253, 280, 290, 295, 296, 297, 298, 299};
        float[] queries = gaussian(random, tokens * queryWidth, 2f);
        int[] offsets = new int[rows.length];
        int[] visibles = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            offsets[i] = rows[i] * queryWidth;
            visibles[i] = rows[i] + 1;
        }
        float[][] tiled = new float[rows.length][];
        int[] index = {0};
        new TiledAttention(dimension, group).probabilities(1, view, queries, offsets, visibles, rows, rows.length,
                (row, summed, count) -> {
                    assertThat(row).isEqualTo(rows[index[0]]);
                    assertThat(count).isEqualTo(row + 1);
                    tiled[index[0]++] = java.util.Arrays.copyOf(summed, count);
                });
        assertThat(index[0]).isEqualTo(rows.length);
        CausalAttention oneRow = new CausalAttention(geometry);
        float[] scratch = new float[queryWidth];
        for (int i = 0; i < rows.length; i++) {
            int expectedIndex = i;
            oneRow.attendRow(1, view, visibles[i], queries, offsets[i], scratch, 0, rows[i], (row, summed, count) -> {
                assertThat(count).isEqualTo(tiled[expectedIndex].length);
                double total = 0;
                for (int t = 0; t < count; t++) {
                    assertThat(tiled[expectedIndex][t]).isCloseTo(summed[t], within(1e-6f + 1e-5f * summed[t]));
                    total += tiled[expectedIndex][t];
                }
                assertThat(total).isCloseTo(group, within(1e-4));
            });
        }
    }

    /** {@code tokens} random keys and values in {@code segments} runs of float and fp16 stores. */
    private static AttentionView view(Random random, int dimension, int tokens, int segments) {
        AttentionView view = new AttentionView();
        int done = 0;
        for (int segment = 0; segment < segments; segment++) {
            int count = segment == segments - 1 ? tokens - done : (tokens - done) / (segments - segment) + 1;
            HeadStore keys = segment % 2 == 0 ? new FloatHeadStore(dimension) : new HalfHeadStore(dimension);
            HeadStore values = segment % 2 == 0 ? new FloatHeadStore(dimension) : new HalfHeadStore(dimension);
            int offset = segment; // segments that do not start at their store's first token
            keys.resize(count + offset);
            values.resize(count + offset);
            for (int t = 0; t < count + offset; t++) {
                keys.store(t, gaussian(random, dimension, 1f), 0);
                values.store(t, gaussian(random, dimension, 1f), 0);
            }
            view.add(keys, offset, values, offset, count);
            done += count;
        }
        return view;
    }

    private static float[] gaussian(Random random, int length, float scale) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        return values;
    }
}

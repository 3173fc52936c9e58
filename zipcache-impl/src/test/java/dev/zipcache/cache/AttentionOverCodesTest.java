package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCache.AttentionKind;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attention over each quantized cache equals plain attention over its dequantized contents: the fused kernels read
 * the codes exactly as dequantization would. The contents are read back token by token through the cache's own view
 * (one-hot queries give each key element, a weight of one gives each value).
 */
class AttentionOverCodesTest {

    private static final KvCacheGeometry GEOMETRY = new KvCacheGeometry(2, 2, 4, 16, 400);

    @ParameterizedTest
    @ValueSource(strings = {"zipcache", "mikv", "zipcache:key-mode=cst,value-mode=channelwise,high-bits=3",
            "kivi:bits=2", "kivi:bits=4,group=16,residual=48", "uniform:bits=2", "uniform:bits=3"})
    void attentionEqualsAttentionOverDequantizedContents(String spec) {
        Random random = new Random(spec.hashCode());
        KvCache cache = Providers.createCache(spec, GEOMETRY);
        step(cache, random, 100, AttentionKind.PREFILL);
        for (int i = 0; i < 30; i++) {
            step(cache, random, 1, AttentionKind.DECODE);
        }
        int tokens = cache.length();
        int dimension = GEOMETRY.headDimension();
        float[] query = gaussian(random, GEOMETRY.queryWidth());
        for (int layer = 0; layer < GEOMETRY.layers(); layer++) {
            for (int head = 0; head < GEOMETRY.kvHeads(); head++) {
                float[] output = new float[GEOMETRY.queryWidth()];
                cache.attend(layer, head, AttentionKind.DECODE, query, 0, 1, tokens - 1, output, 0);
                float[][] keys = new float[tokens][dimension];
                float[][] values = new float[tokens][dimension];
                readBack(((ViewableCache) cache).view(layer, head), tokens, keys, values);
                for (int member = 0; member < GEOMETRY.groupSize(); member++) {
                    int queryHead = head * GEOMETRY.groupSize() + member;
                    double[] expected = attention(query, queryHead * dimension, keys, values);
                    for (int i = 0; i < dimension; i++) {
                        assertThat((double) output[queryHead * dimension + i]).as("%s layer %d head %d", spec, layer,
                                queryHead).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(2e-4));
                    }
                }
            }
        }
        cache.close();
    }

    private static void readBack(AttentionView view, int tokens, float[][] keys, float[][] values) {
        int dimension = keys[0].length;
        float[] oneHot = new float[dimension];
        float[] score = new float[1];
        float[] one = {1f};
        int token = 0;
        for (int segment = 0; segment < view.size && token < tokens; segment++) {
            for (int t = 0; t < view.counts[segment] && token < tokens; t++, token++) {
                for (int i = 0; i < dimension; i++) {
                    oneHot[i] = 1f;
                    view.keys[segment].dots(view.keyFrom[segment] + t, 1, oneHot, 0, score, 0);
                    keys[token][i] = score[0];
                    oneHot[i] = 0f;
                }
                view.values[segment].addWeighted(view.valueFrom[segment] + t, 1, one, 0, values[token], 0);
            }
        }
        assertThat(token).isEqualTo(tokens);
    }

    private static double[] attention(float[] query, int offset, float[][] keys, float[][] values) {
        int dimension = keys[0].length;
        double[] scores = new double[keys.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < keys.length; t++) {
            double dot = 0;
            for (int i = 0; i < dimension; i++) {
                dot += (double) query[offset + i] * keys[t][i];
            }
            scores[t] = dot / Math.sqrt(dimension);
            max = Math.max(max, scores[t]);
        }
        double sum = 0;
        for (int t = 0; t < scores.length; t++) {
            scores[t] = Math.exp(scores[t] - max);
            sum += scores[t];
        }
        double[] out = new double[dimension];
        for (int t = 0; t < scores.length; t++) {
            for (int i = 0; i < dimension; i++) {
                out[i] += scores[t] / sum * values[t][i];
            }
        }
        return out;
    }

    private static void step(KvCache cache, Random random, int rows, AttentionKind kind) {
        float[] queries = gaussian(random, rows * GEOMETRY.queryWidth());
        float[] keys = gaussian(random, rows * GEOMETRY.kvWidth());
        float[] values = gaussian(random, rows * GEOMETRY.kvWidth());
        int position = cache.length();
        float[] out = new float[queries.length];
        for (int layer = 0; layer < GEOMETRY.layers(); layer++) {
            cache.append(layer, keys, 0, values, 0, rows);
            for (int head = 0; head < GEOMETRY.kvHeads(); head++) {
                cache.attend(layer, head, kind, queries, 0, rows, position, out, 0);
            }
        }
        cache.commit(rows, kind);
        if (kind == AttentionKind.PREFILL) {
            cache.endPrefill();
        }
    }

    private static float[] gaussian(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}

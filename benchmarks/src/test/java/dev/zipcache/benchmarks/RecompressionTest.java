package dev.zipcache.benchmarks;

import dev.zipcache.spi.KvCacheGeometry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every round times a commit, and the cache's geometry bounds the run. */
class RecompressionTest {

    @Test
    void everyRoundTimesItsSlowestCommit() {
        KvCacheGeometry geometry = new KvCacheGeometry(2, 2, 8, 128, 2_000);
        double[] slowest = Recompression.run("zipcache", geometry, 1_024, 3, 100);
        assertThat(slowest).hasSize(3);
        assertThat(java.util.Arrays.stream(slowest).min().orElseThrow()).isPositive();
    }

    @Test
    void aRunLongerThanTheCacheIsAClearError() {
        KvCacheGeometry geometry = new KvCacheGeometry(1, 2, 8, 128, 600);
        assertThatThrownBy(() -> Recompression.run("zipcache", geometry, 512, 2, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("within the cache's 600 tokens");
    }
}

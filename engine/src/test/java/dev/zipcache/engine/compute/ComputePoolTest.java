package dev.zipcache.engine.compute;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every index is visited exactly once, loops can follow each other, and a worker's exception reaches the caller. */
class ComputePoolTest {

    @Test
    void visitsEveryIndexExactlyOnceOverManyLoops() {
        try (ComputePool pool = new ComputePool(3)) {
            for (int count : new int[] {1, 2, 5, 97, 1000, 10_007}) {
                AtomicIntegerArray visits = new AtomicIntegerArray(count);
                pool.parallelFor(count, 1, (start, end) -> {
                    for (int i = start; i < end; i++) {
                        visits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < count; i++) {
                    assertThat(visits.get(i)).as("index %d of %d", i, count).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void chunksPerThreadSetsHowFinelyTheRangeIsSplit() {
        try (ComputePool pool = new ComputePool(2)) {
            for (int chunksPerThread : new int[] {1, 4}) {
                AtomicIntegerArray visits = new AtomicIntegerArray(1000);
                java.util.concurrent.atomic.AtomicInteger chunks = new java.util.concurrent.atomic.AtomicInteger();
                pool.parallelFor(1000, 16, chunksPerThread, (start, end) -> {
                    chunks.incrementAndGet();
                    for (int i = start; i < end; i++) {
                        visits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < 1000; i++) {
                    assertThat(visits.get(i)).isEqualTo(1);
                }
                // 1000 / (chunksPerThread · 2 threads) indices a chunk: 2 chunks, or 8.
                assertThat(chunks.get()).isEqualTo(2 * chunksPerThread);
            }
        }
    }

    @Test
    void rethrowsAFailureFromAnyThread() {
        try (ComputePool pool = new ComputePool(2)) {
            assertThatThrownBy(() -> pool.parallelFor(1000, 1, (start, end) -> {
                if (start <= 900 && 900 < end) {
                    throw new IllegalStateException("boom at 900");
                }
            })).hasMessage("boom at 900");
            int[] total = {0};
            pool.parallelFor(10, 10, (start, end) -> total[0] += end - start);
            assertThat(total[0]).isEqualTo(10);
        }
    }
}

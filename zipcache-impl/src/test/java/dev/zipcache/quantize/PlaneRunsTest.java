package dev.zipcache.quantize;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a slice of a planar row splits into runs, and the two facts the kernels branch on: whether any run has a tail
 * short of a whole load, and whether the slice is whole planes (each load of a row's bytes serving every plane).
 */
class PlaneRunsTest {

    private static final int LOAD = QuantizedVectors.CODE_LANES;

    @Test
    void aWholeSegmentOfTwoBitCodesIsFourWholePlanes() {
        // 128 two-bit channels: 32 bytes a row, plane p holding channels 32p .. 32p + 31 at bit 2p.
        PlaneRuns runs = new PlaneRuns().split(0, 128, 32, 2);
        assertThat(runs.count()).isEqualTo(4);
        for (int run = 0; run < 4; run++) {
            assertThat(runs.offset(run)).isZero();
            assertThat(runs.shift(run)).isEqualTo(2 * run);
            assertThat(runs.weightOffset(run)).isEqualTo(32 * run);
            assertThat(runs.length(run)).isEqualTo(32);
        }
        assertThat(runs.wholePlanes()).isEqualTo(32 % LOAD == 0);
        assertThat(runs.planeBytes()).isEqualTo(32);
        assertThat(runs.bits()).isEqualTo(2);
        assertThat(runs.hasTails()).isEqualTo(32 % LOAD != 0);
        assertThat(runs.chunkCount()).isEqualTo(4 * (32 / LOAD));
    }

    @Test
    void aSliceStartingInsideAPlaneIsNotWholePlanes() {
        // Columns 16 .. 143 of a 256-channel four-bit row (128 bytes: plane 0 is channels 0-127, plane 1 128-255).
        PlaneRuns runs = new PlaneRuns().split(16, 128, 128, 4);
        assertThat(runs.count()).isEqualTo(2);
        assertThat(runs.offset(0)).isEqualTo(16);
        assertThat(runs.length(0)).isEqualTo(112);
        assertThat(runs.offset(1)).isZero();
        assertThat(runs.shift(1)).isEqualTo(4);
        assertThat(runs.length(1)).isEqualTo(16);
        assertThat(runs.wholePlanes()).isFalse();
    }

    @Test
    void runsShortOfAWholeLoadHaveTails() {
        // 20 two-bit channels: 5 bytes a row, four runs of 5 codes, none a whole load.
        PlaneRuns runs = new PlaneRuns().split(0, 20, 5, 2);
        assertThat(runs.count()).isEqualTo(4);
        assertThat(runs.hasTails()).isTrue();
        assertThat(runs.wholePlanes()).isFalse();
        assertThat(runs.chunkCount()).isZero();
    }

    @Test
    void aReusedSplitForgetsThePreviousOne() {
        PlaneRuns runs = new PlaneRuns().split(0, 20, 5, 2);
        runs.split(0, 128, 32, 2);
        assertThat(runs.hasTails()).isEqualTo(32 % LOAD != 0);
        assertThat(runs.count()).isEqualTo(4);
    }
}

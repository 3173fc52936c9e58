package dev.zipcache.benchmarks;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two builds compared in one JVM, each in its own class loader: here the same build twice (this test's class path),
 * which must time every round of both and give the same attention output up to float rounding. Not bit for bit: each
 * loader's copy of the kernels is compiled on its own, and a copy still in C1 sums some lanes in another order than
 * C2's (benchmarks/NOTES.md §12).
 */
class CompareBuildsTest {

    @Test
    void theSameBuildTwiceTimesEveryRoundAndAgreesUpToRounding() throws MalformedURLException {
        List<URL> build = testClassPath();
        int rounds = 5;
        int tokens = 256;
        for (String cache : List.of("fp16", "zipcache")) {
            List<CompareBuilds.Timings> timings = CompareBuilds.run(List.of(build, build), cache, tokens, rounds);
            assertThat(timings).hasSize(2);
            for (CompareBuilds.Timings timing : timings) {
                assertThat(timing.nanos()).hasSize(rounds);
                assertThat(Arrays.stream(timing.nanos()).min().orElseThrow()).isPositive();
                assertThat(timing.minimumMicros()).isLessThanOrEqualTo(timing.medianMicros());
                // 32 query heads of 128: an attention output, not zeros.
                assertThat(timing.output()).hasSize(32 * 128);
                assertThat(IntStream.range(0, timing.output().length).anyMatch(i -> timing.output()[i] != 0f)).isTrue();
            }
            // Each output is a weighted sum over the tokens: another summation order moves it by at most about one
            // rounding per token, relative to the largest output.
            double largest = 0;
            for (float value : timings.get(0).output()) {
                largest = Math.max(largest, Math.abs(value));
            }
            assertThat(CompareBuilds.largestDifference(timings.get(0).output(), timings.get(1).output()))
                    .isLessThanOrEqualTo(tokens * Math.ulp(1f) * largest);
        }
    }

    @Test
    void anUnknownCacheIsOneClearError() throws MalformedURLException {
        List<URL> build = testClassPath();
        assertThatThrownBy(() -> CompareBuilds.run(List.of(build, build), "no-such-cache", 64, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such-cache");
        assertThatThrownBy(() -> CompareBuilds.run(List.of(build), "fp16", 64, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("two builds");
    }

    @Test
    void outputsOfDifferentLengthsAreNotCompared() {
        assertThat(CompareBuilds.largestDifference(new float[] {1f, -2f}, new float[] {1.5f, -2f})).isEqualTo(0.5);
        assertThatThrownBy(() -> CompareBuilds.largestDifference(new float[2], new float[3]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static List<URL> testClassPath() throws MalformedURLException {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            urls.add(new File(entry).toURI().toURL());
        }
        return urls;
    }
}

package dev.zipcache.engine.evaluate;

import dev.zipcache.engine.evaluate.ParetoFront.Point;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The Pareto front of compression ratio (higher is better) against cost (lower is better). */
class ParetoFrontTest {

    @Test
    void keepsThePointsNoOtherBeatsOnBothCounts() {
        List<Point> points = List.of(
                new Point(1.0, 0.0),     // fp16: no compression, no cost: on the front
                new Point(2.2, 0.3),     // on the front
                new Point(2.0, 51.0),    // beaten by (2.2, 0.3) on both
                new Point(3.0, 4.7),     // on the front
                new Point(2.98, 26.6),   // beaten by (3.0, 4.7)
                new Point(4.0, 12.6),    // on the front: the highest ratio
                new Point(3.0, 10.0));   // beaten by (3.0, 4.7): equal ratio, higher cost
        assertThat(ParetoFront.membership(points)).containsExactly(true, true, false, true, false, true, false);
    }

    @Test
    void equalPointsAreOnTheFrontTogetherAndOneStrictlyBetterCountIsEnough() {
        assertThat(ParetoFront.membership(List.of(new Point(2, 1), new Point(2, 1), new Point(2, 1.5))))
                .containsExactly(true, true, false);
        assertThat(ParetoFront.membership(List.of(new Point(2, 1), new Point(2.5, 1))))
                .containsExactly(false, true);
    }

    @Test
    void anUnmeasuredPointNeitherJoinsNorBeatsTheFront() {
        assertThat(ParetoFront.membership(List.of(new Point(5, Double.NaN), new Point(1, 3))))
                .containsExactly(false, true);
        assertThat(ParetoFront.membership(List.of())).isEmpty();
        assertThat(ParetoFront.membership(List.of(new Point(1, 0)))).containsExactly(true);
    }
}

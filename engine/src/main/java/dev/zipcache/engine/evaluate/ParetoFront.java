package dev.zipcache.engine.evaluate;

import java.util.List;

/**
 * The configurations no other one beats on both counts: a higher compression ratio is better, a lower cost (Δppl,
 * KL) is better. A point is on the front unless another has a ratio at least as high and a cost at least as low,
 * and is strictly better in one of them; equal points are therefore on the front together.
 */
public final class ParetoFront {

    private ParetoFront() {
    }

    /**
     * One configuration's trade-off.
     *
     * @param compressionRatio fp16 bytes over bytes held: higher is better
     * @param cost             what the compression costs in quality (Δppl in percent, mean KL, ...): lower is better
     */
    public record Point(double compressionRatio, double cost) {

        /** A point with a NaN coordinate (an undefined measurement) can neither beat nor join the front. */
        boolean measured() {
            return !Double.isNaN(compressionRatio) && !Double.isNaN(cost);
        }

        boolean dominates(Point other) {
            return compressionRatio >= other.compressionRatio && cost <= other.cost
                    && (compressionRatio > other.compressionRatio || cost < other.cost);
        }
    }

    /**
     * Whether each point is on the front, in the points' order. O(n²), fine for the tens of configurations a sweep
     * has.
     */
    public static boolean[] membership(List<Point> points) {
        boolean[] onFront = new boolean[points.size()];
        for (int candidate = 0; candidate < points.size(); candidate++) {
            Point point = points.get(candidate);
            boolean dominated = !point.measured();
            for (int other = 0; other < points.size() && !dominated; other++) {
                dominated = points.get(other).measured() && points.get(other).dominates(point);
            }
            onFront[candidate] = !dominated;
        }
        return onFront;
    }
}

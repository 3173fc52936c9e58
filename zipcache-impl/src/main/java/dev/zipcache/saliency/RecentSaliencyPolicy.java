package dev.zipcache.saliency;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SaliencyPolicy;
import dev.zipcache.spi.SaliencyScorer;
import dev.zipcache.spi.SpecOptions;

import java.util.List;

/** {@code recent}: the locality baseline; newer tokens are more salient, and no attention is observed. */
public final class RecentSaliencyPolicy implements SaliencyPolicy {

    @Override
    public String name() {
        return "recent";
    }

    @Override
    public String description() {
        return "locality baseline: the newest tokens are the salient ones (observes no attention)";
    }

    @Override
    public List<OptionDescriptor> options() {
        return List.of();
    }

    @Override
    public SaliencyScorer scorer(ScoringRequest request, KvCacheGeometry geometry, SpecOptions options) {
        return new SaliencyScorer() {
            @Override
            public int[] rows() {
                return new int[0];
            }

            @Override
            public void observe(int kvHead, int row, float[] probabilities) {
                throw new IllegalStateException("the recent policy observes no rows");
            }

            @Override
            public void scores(int kvHead, float[] out) {
                for (int i = 0; i < request.length() - request.firstToken(); i++) {
                    out[i] = i;
                }
            }
        };
    }
}

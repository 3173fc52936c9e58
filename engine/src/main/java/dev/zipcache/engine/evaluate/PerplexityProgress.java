package dev.zipcache.engine.evaluate;

/** Hears how far a perplexity run has got, after each document (for a progress bar). */
@FunctionalInterface
public interface PerplexityProgress {

    /** Says nothing. */
    PerplexityProgress NONE = (done, total, scoredTokens) -> {
    };

    /**
     * Called after each document, on the evaluating thread.
     *
     * @param documentsDone documents finished (scored or skipped)
     * @param documentsTotal documents in the run
     * @param scoredTokens  tokens scored so far
     */
    void onDocument(int documentsDone, int documentsTotal, long scoredTokens);
}

package dev.zipcache.engine.evaluate;

import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import dev.zipcache.spi.KvCacheStats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fidelity protocol of a KV cache: teacher-forced perplexity of text, with the cache under test and with a
 * full-precision ({@value PerplexityOptions#REFERENCE_KV_CACHE}) reference in lockstep on the same positions.
 *
 * <p>Each document is [BOS] + its tokens (no special-token parsing; BOS when the model asks for it), cut to
 * context + 1 tokens, and scored on its own from an empty cache. With length L and prompt share F, the first
 * P = max(1, floor(F·L)) tokens are prefilled as one batch and not scored (the cache holds them as a prompt); then
 * positions P … L−2 are fed one at a time as decode steps, each scoring the token after it. This measures what a
 * compressed cache does to generation: the prompt is compressed once, then decoding attends to it and to the
 * tokens appended one by one. F = 0 is the variant that scores every token after BOS: the prompt is BOS alone and
 * its logits score token 1, as {@code reference.json}'s perplexity does.
 *
 * <p>{@link #compareCaches} runs several caches against one reference in lockstep (a sweep pays for the reference
 * once).
 *
 * <p>Documents with nothing to score (fewer than 2 tokens, or all of it prompt) are skipped and counted in
 * {@link PerplexityReport#skippedDocuments()}.
 */
public final class PerplexityEvaluator {

    private final Model model;
    private final PerplexityOptions options;

    public PerplexityEvaluator(Model model, PerplexityOptions options) {
        this.model = model;
        this.options = options;
    }

    /**
     * Splits {@code text} into documents on the options' separator, keeps the first
     * {@link PerplexityOptions#maxDocuments()} and scores them.
     *
     * @throws IllegalArgumentException when the text has no document, or no document has a token to score
     */
    public PerplexityReport evaluate(String text, PerplexityProgress progress) {
        List<String> documents = DocumentSplitter.split(text, options.separator());
        if (documents.isEmpty()) {
            throw new IllegalArgumentException("the text has no documents (it is empty, or holds only separator lines '"
                    + options.separator().strip() + "')");
        }
        return evaluateDocuments(documents.subList(0, Math.min(documents.size(), options.maxDocuments())), progress);
    }

    /**
     * Scores documents as given (no splitting or limit).
     *
     * @throws IllegalArgumentException when no document has a token to score, or the cache spec is invalid
     */
    public PerplexityReport evaluateDocuments(List<String> documents, PerplexityProgress progress) {
        return compareCaches(List.of(options.kvCacheSpec()), documents, progress).getFirst();
    }

    /**
     * Scores documents as given with each of several caches (the options' own spec is ignored), one report per
     * cache in order. The caches run in lockstep with one full-precision reference, so the reference is computed
     * once for the whole sweep instead of once per cache: each position costs one forward step per cache plus one.
     * Every cache holds its session at once (one KV cache each, for the whole context).
     *
     * @throws IllegalArgumentException when no document has a token to score, or a cache spec is invalid
     */
    public List<PerplexityReport> compareCaches(List<String> kvCacheSpecs, List<String> documents,
                                                PerplexityProgress progress) {
        if (kvCacheSpecs.isEmpty()) {
            throw new IllegalArgumentException("no KV cache to evaluate");
        }
        SessionOptions base = SessionOptions.defaults().withThreads(options.threads());
        List<Session> sessions = new ArrayList<>();
        try (Session reference = Session.open(model, base.withKvCache(PerplexityOptions.REFERENCE_KV_CACHE))) {
            List<Candidate> candidates = new ArrayList<>();
            for (String spec : kvCacheSpecs) {
                Session session = Session.open(model, base.withKvCache(spec).withDevice(options.device()));
                sessions.add(session);
                candidates.add(new Candidate(spec, session, new Tally(model.config().vocabularySize())));
            }
            long start = System.nanoTime();
            int scoredDocuments = 0;
            int skipped = 0;
            long scoredTokens = 0;
            for (int index = 0; index < documents.size(); index++) {
                int[] tokens = documentTokens(reference, documents.get(index));
                if (scoreDocument(tokens, reference, candidates)) {
                    scoredDocuments++;
                    scoredTokens += scoredPositions(tokens.length);
                } else {
                    skipped++;
                }
                progress.onDocument(index + 1, documents.size(), scoredTokens);
            }
            if (scoredTokens == 0) {
                throw new IllegalArgumentException("no document has a token to score: each is shorter than 2 tokens"
                        + " or all prompt at prefill fraction " + options.prefillFraction());
            }
            long elapsed = System.nanoTime() - start;
            List<PerplexityReport> reports = new ArrayList<>();
            for (Candidate candidate : candidates) {
                Tally tally = candidate.tally;
                reports.add(new PerplexityReport(scoredDocuments, skipped, tally.scored, options.prefillFraction(),
                        candidate.spec, Math.exp(tally.negativeLogLikelihood / tally.scored),
                        Math.exp(tally.referenceNegativeLogLikelihood / tally.scored), tally.klSum / tally.scored,
                        (double) tally.agreements / tally.scored, tally.kvBytes, tally.kvFp16Bytes,
                        tally.paperRatioSum / scoredDocuments, elapsed));
            }
            return List.copyOf(reports);
        } finally {
            sessions.forEach(Session::close);
        }
    }

    /** One cache under test: its session and its running sums. */
    private record Candidate(String spec, Session session, Tally tally) {
    }

    /** [BOS] + the document's tokens, cut to context + 1 so that at most context positions are fed. */
    private int[] documentTokens(Session session, String document) {
        int[] tokens = session.tokenize(document, false);
        return tokens.length > model.config().contextLength() + 1
                ? Arrays.copyOf(tokens, model.config().contextLength() + 1) : tokens;
    }

    /** Prompt tokens of a document of {@code length} tokens: P = max(1, floor(F·L)). */
    int promptLength(int length) {
        return Math.max(1, (int) Math.floor(options.prefillFraction() * length));
    }

    /** Positions a document of {@code length} tokens scores: L − 1 − P decode steps, plus the prefill's at F = 0. */
    int scoredPositions(int length) {
        if (length < 2) {
            return 0;
        }
        return length - 1 - promptLength(length) + (scoresPrefillLogits() ? 1 : 0);
    }

    private boolean scoresPrefillLogits() {
        return options.prefillFraction() == 0;
    }

    /**
     * Runs one document through the reference and every cache from empty caches, position by position; false when
     * it has nothing to score.
     */
    private boolean scoreDocument(int[] tokens, Session reference, List<Candidate> candidates) {
        if (scoredPositions(tokens.length) == 0) {
            return false;
        }
        reference.reset();
        int prompt = promptLength(tokens.length);
        int[] promptTokens = Arrays.copyOf(tokens, prompt);
        // The reference's logits buffer is reused by its next step: each position is scored by every cache first.
        float[] referenceLogits = reference.prefill(promptTokens);
        for (Candidate candidate : candidates) {
            candidate.session.reset();
            float[] logits = candidate.session.prefill(promptTokens);
            if (scoresPrefillLogits()) {
                candidate.tally.add(logits, referenceLogits, tokens[prompt]);
            }
        }
        for (int position = prompt; position <= tokens.length - 2; position++) {
            referenceLogits = reference.decode(tokens[position]);
            for (Candidate candidate : candidates) {
                float[] logits = candidate.session.decode(tokens[position]);
                candidate.tally.add(logits, referenceLogits, tokens[position + 1]);
            }
        }
        for (Candidate candidate : candidates) {
            KvCacheStats stats = candidate.session.cacheStats();
            candidate.tally.kvBytes += stats.bytes();
            candidate.tally.kvFp16Bytes += stats.fp16Bytes();
            candidate.tally.paperRatioSum += stats.paperRatio();
        }
        return true;
    }

    /** Running sums over scored positions and documents. */
    private static final class Tally {
        private final int vocabulary;
        long scored;
        double negativeLogLikelihood;
        double referenceNegativeLogLikelihood;
        double klSum;
        long agreements;
        long kvBytes;
        long kvFp16Bytes;
        double paperRatioSum;

        Tally(int vocabulary) {
            this.vocabulary = vocabulary;
        }

        void add(float[] logits, float[] referenceLogits, int nextToken) {
            double logPartition = NextTokenDistributions.logPartition(logits, vocabulary);
            double referenceLogPartition = NextTokenDistributions.logPartition(referenceLogits, vocabulary);
            negativeLogLikelihood -= NextTokenDistributions.logProbability(logits, logPartition, nextToken);
            referenceNegativeLogLikelihood -= NextTokenDistributions.logProbability(referenceLogits,
                    referenceLogPartition, nextToken);
            klSum += NextTokenDistributions.klDivergence(referenceLogits, referenceLogPartition, logits, logPartition,
                    vocabulary);
            if (NextTokenDistributions.argmax(logits, vocabulary)
                    == NextTokenDistributions.argmax(referenceLogits, vocabulary)) {
                agreements++;
            }
            scored++;
        }
    }
}

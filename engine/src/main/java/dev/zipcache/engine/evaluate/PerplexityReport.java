package dev.zipcache.engine.evaluate;

/**
 * What a perplexity run measured: the cache under test against the full-precision reference, on the same positions.
 *
 * @param documents        documents scored
 * @param skippedDocuments documents left out because they had no token to score (too short for the prompt share)
 * @param scoredTokens     positions scored, over all documents
 * @param prefillFraction  the prompt share F of each document
 * @param kvCacheSpec      the cache under test
 * @param ppl              exp(mean negative log-likelihood) with the cache under test
 * @param pplFullPrecision the same with the {@value PerplexityOptions#REFERENCE_KV_CACHE} cache
 * @param meanKl           mean over scored positions of KL(full precision ‖ cache under test) of the next-token
 *                         distributions, in nats
 * @param top1Agreement    share of scored positions where both caches' most likely next token is the same
 * @param kvBytes          bytes the cache held at the end of each document, summed over documents
 * @param kvFp16Bytes      what the same tokens take as plain fp16, summed the same way
 * @param paperRatio       mean over documents of the cache's compression ratio by the ZipCache paper's formula
 *                         ({@link dev.zipcache.spi.KvCacheStats#paperRatio()}) at the document's end
 * @param elapsedNanos     wall time of the run (of the whole sweep when caches were compared in lockstep)
 */
public record PerplexityReport(int documents, int skippedDocuments, long scoredTokens, double prefillFraction,
                               String kvCacheSpec, double ppl, double pplFullPrecision, double meanKl,
                               double top1Agreement, long kvBytes, long kvFp16Bytes, double paperRatio,
                               long elapsedNanos) {

    /** 100 · (ppl / ppl_full_precision − 1): how much worse the cache under test makes the model, in percent. */
    public double deltaPplPercent() {
        return 100 * (ppl / pplFullPrecision - 1);
    }

    /** Summed fp16-equivalent bytes over summed bytes held; 1 when nothing was held. */
    public double compressionRatio() {
        return kvBytes == 0 ? 1.0 : (double) kvFp16Bytes / kvBytes;
    }
}

package dev.zipcache.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponseMetadata;

import java.util.Objects;

/**
 * LangChain4j's response metadata plus what the KV cache did: which cache served the request, how much of the prompt
 * it already held from an earlier turn (not prefilled again), and how much memory it takes against plain fp16.
 */
public final class ZipCacheChatResponseMetadata extends ChatResponseMetadata {

    private final String kvCache;
    private final int cachedPromptTokens;
    private final int prefilledTokens;
    private final long kvCacheTokens;
    private final long kvCacheBytes;
    private final long kvCacheFp16Bytes;
    private final double compressionRatio;

    private ZipCacheChatResponseMetadata(Builder builder) {
        super(builder);
        this.kvCache = builder.kvCache;
        this.cachedPromptTokens = builder.cachedPromptTokens;
        this.prefilledTokens = builder.prefilledTokens;
        this.kvCacheTokens = builder.kvCacheTokens;
        this.kvCacheBytes = builder.kvCacheBytes;
        this.kvCacheFp16Bytes = builder.kvCacheFp16Bytes;
        this.compressionRatio = builder.compressionRatio;
    }

    /** The KV cache's spec string, e.g. {@code zipcache} or {@code fp16}. */
    public String kvCache() {
        return kvCache;
    }

    /** Prompt tokens whose keys and values the session's cache already held (an earlier turn), so not prefilled. */
    public int cachedPromptTokens() {
        return cachedPromptTokens;
    }

    /** Prompt tokens run through the model for this request: the prompt minus the cached tokens. */
    public int prefilledTokens() {
        return prefilledTokens;
    }

    /** Tokens in the KV cache after the answer (the whole conversation so far). */
    public long kvCacheTokens() {
        return kvCacheTokens;
    }

    /** Bytes the KV cache holds: codes, scales, bookkeeping and full-precision buffers. */
    public long kvCacheBytes() {
        return kvCacheBytes;
    }

    /** What the same tokens would take as plain fp16 keys and values. */
    public long kvCacheFp16Bytes() {
        return kvCacheFp16Bytes;
    }

    /** {@link #kvCacheFp16Bytes()} / {@link #kvCacheBytes()}: how many times smaller than fp16 the cache is. */
    public double compressionRatio() {
        return compressionRatio;
    }

    @Override
    public Builder toBuilder() {
        return ((Builder) toBuilder(builder())).kvCache(kvCache).cachedPromptTokens(cachedPromptTokens)
                .prefilledTokens(prefilledTokens).kvCacheTokens(kvCacheTokens).kvCacheBytes(kvCacheBytes)
                .kvCacheFp16Bytes(kvCacheFp16Bytes).compressionRatio(compressionRatio);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ZipCacheChatResponseMetadata that && super.equals(that)
                && Objects.equals(kvCache, that.kvCache) && cachedPromptTokens == that.cachedPromptTokens
                && prefilledTokens == that.prefilledTokens && kvCacheTokens == that.kvCacheTokens
                && kvCacheBytes == that.kvCacheBytes && kvCacheFp16Bytes == that.kvCacheFp16Bytes
                && Double.compare(compressionRatio, that.compressionRatio) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), kvCache, cachedPromptTokens, prefilledTokens, kvCacheTokens,
                kvCacheBytes, kvCacheFp16Bytes, compressionRatio);
    }

    @Override
    public String toString() {
        return "ZipCacheChatResponseMetadata{id='" + id() + "', modelName='" + modelName() + "', tokenUsage="
                + tokenUsage() + ", finishReason=" + finishReason() + ", kvCache='" + kvCache
                + "', cachedPromptTokens=" + cachedPromptTokens + ", prefilledTokens=" + prefilledTokens
                + ", kvCacheTokens=" + kvCacheTokens + ", kvCacheBytes=" + kvCacheBytes + ", kvCacheFp16Bytes="
                + kvCacheFp16Bytes + ", compressionRatio=" + compressionRatio + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link ZipCacheChatResponseMetadata}; the common setters come from LangChain4j's builder. */
    public static final class Builder extends ChatResponseMetadata.Builder<Builder> {

        private String kvCache;
        private int cachedPromptTokens;
        private int prefilledTokens;
        private long kvCacheTokens;
        private long kvCacheBytes;
        private long kvCacheFp16Bytes;
        private double compressionRatio = 1.0;

        public Builder kvCache(String kvCache) {
            this.kvCache = kvCache;
            return this;
        }

        public Builder cachedPromptTokens(int cachedPromptTokens) {
            this.cachedPromptTokens = cachedPromptTokens;
            return this;
        }

        public Builder prefilledTokens(int prefilledTokens) {
            this.prefilledTokens = prefilledTokens;
            return this;
        }

        public Builder kvCacheTokens(long kvCacheTokens) {
            this.kvCacheTokens = kvCacheTokens;
            return this;
        }

        public Builder kvCacheBytes(long kvCacheBytes) {
            this.kvCacheBytes = kvCacheBytes;
            return this;
        }

        public Builder kvCacheFp16Bytes(long kvCacheFp16Bytes) {
            this.kvCacheFp16Bytes = kvCacheFp16Bytes;
            return this;
        }

        public Builder compressionRatio(double compressionRatio) {
            this.compressionRatio = compressionRatio;
            return this;
        }

        @Override
        public ZipCacheChatResponseMetadata build() {
            return new ZipCacheChatResponseMetadata(this);
        }
    }
}

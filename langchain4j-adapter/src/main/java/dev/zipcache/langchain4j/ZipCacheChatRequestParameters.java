package dev.zipcache.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;

import java.util.Objects;

/**
 * LangChain4j's common request parameters plus the ones only zipcache has: the sampling seed, min-p, the
 * repetition penalty and the KV cache. Use it as a chat model's default parameters or per request; values left null
 * fall back to the model's defaults, as with the common parameters.
 */
public final class ZipCacheChatRequestParameters extends DefaultChatRequestParameters {

    /** No parameter set. */
    public static final ZipCacheChatRequestParameters EMPTY = builder().build();

    private final Long seed;
    private final Double minP;
    private final Double repetitionPenalty;
    private final String kvCache;

    private ZipCacheChatRequestParameters(Builder builder) {
        super(builder);
        this.seed = builder.seed;
        this.minP = builder.minP;
        this.repetitionPenalty = builder.repetitionPenalty;
        this.kvCache = builder.kvCache;
    }

    /** The sampling seed: the same seed, parameters and conversation give the same answer. Null draws one. */
    public Long seed() {
        return seed;
    }

    /** Drops tokens less likely than {@code minP} × the most likely one; 0 keeps all. */
    public Double minP() {
        return minP;
    }

    /** Divides the logits of tokens among the last 64 (multiplicative, llama.cpp's {@code repeat_penalty}); 1 = off. */
    public Double repetitionPenalty() {
        return repetitionPenalty;
    }

    /** The KV cache spec for this request, {@code NAME[:key=value,...]}, e.g. {@code zipcache} or {@code kivi:bits=2}. */
    public String kvCache() {
        return kvCache;
    }

    @Override
    public ZipCacheChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public ZipCacheChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ZipCacheChatRequestParameters that && super.equals(that)
                && Objects.equals(seed, that.seed) && Objects.equals(minP, that.minP)
                && Objects.equals(repetitionPenalty, that.repetitionPenalty) && Objects.equals(kvCache, that.kvCache);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), seed, minP, repetitionPenalty, kvCache);
    }

    @Override
    public String toString() {
        String common = super.toString();
        return "ZipCacheChatRequestParameters{" + common.substring(common.indexOf('{') + 1, common.length() - 1)
                + ", seed=" + seed + ", minP=" + minP + ", repetitionPenalty=" + repetitionPenalty
                + ", kvCache=" + kvCache + "}";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link ZipCacheChatRequestParameters}; the common setters come from LangChain4j's builder. */
    public static final class Builder extends DefaultChatRequestParameters.Builder<Builder> {

        private Long seed;
        private Double minP;
        private Double repetitionPenalty;
        private String kvCache;

        /**
         * Takes every parameter {@code parameters} sets (null: none), ours included when it is a
         * {@code ZipCacheChatRequestParameters}.
         */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            if (parameters == null) {
                return this;
            }
            super.overrideWith(parameters);
            if (parameters instanceof ZipCacheChatRequestParameters ours) {
                seed = ours.seed != null ? ours.seed : seed;
                minP = ours.minP != null ? ours.minP : minP;
                repetitionPenalty = ours.repetitionPenalty != null ? ours.repetitionPenalty : repetitionPenalty;
                kvCache = ours.kvCache != null ? ours.kvCache : kvCache;
            }
            return this;
        }

        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder minP(Double minP) {
            this.minP = minP;
            return this;
        }

        public Builder repetitionPenalty(Double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        public Builder kvCache(String kvCache) {
            this.kvCache = kvCache;
            return this;
        }

        @Override
        public ZipCacheChatRequestParameters build() {
            return new ZipCacheChatRequestParameters(this);
        }
    }
}

package dev.zipcache.langchain4j.conformance;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.SharedFiles;
import dev.zipcache.langchain4j.ZipCacheChatModel;
import dev.zipcache.langchain4j.ZipCacheChatRequestParameters;
import dev.zipcache.langchain4j.ZipCacheStreamingChatModel;

/**
 * Models for LangChain4j's conformance suites: greedy stories260K chat models over one shared set of weights.
 *
 * <p>stories260K is a 260K-parameter model trained only on children's stories: it has no world knowledge and does not
 * follow instructions. Suite tests that judge the answer's content (that it names "Berlin", translates to German,
 * recalls "green", says "Hello" when asked) cannot pass with any model this small; each suite class lists them,
 * disabled with that reason ({@link NotApplicable}). Every test about the contract (parameters, token usage, finish reasons, metadata,
 * listeners, streaming threads and cancellation, rejection of unsupported features) runs.
 */
final class Conformance {

    static final String MODEL_NAME = "stories260K";
    static final String NEEDS_KNOWLEDGE = "needs world knowledge or instruction following (asserts the answer's "
            + "content); stories260K only writes children's stories";
    static final String BERLIN = NEEDS_KNOWLEDGE + ": expects 'Berlin'";
    static final String HELLO = NEEDS_KNOWLEDGE + ": expects 'Hello' when asked to say 'Hello World' (our stop "
            + "sequences are tested in ZipCacheChatModelTest)";

    private static Model shared;

    private Conformance() {
    }

    static synchronized Model model() {
        if (shared == null) {
            shared = Model.load(SharedFiles.file("models/stories260K/stories260K.bin"));
        }
        return shared;
    }

    /** A model whose weights were unmapped: every request fails while running, after the listeners saw it. */
    static Model closedModel() {
        Model model = Model.load(SharedFiles.file("models/stories260K/stories260K.bin"));
        model.close();
        return model;
    }

    static ZipCacheChatModel.Builder chatModel() {
        return ZipCacheChatModel.builder().model(model()).temperature(0.0).maxOutputTokens(48).threads(1);
    }

    static ZipCacheStreamingChatModel.Builder streamingChatModel() {
        return ZipCacheStreamingChatModel.builder().model(model()).temperature(0.0).maxOutputTokens(48).threads(1);
    }

    static ChatRequestParameters integrationSpecific(int maxOutputTokens) {
        return ZipCacheChatRequestParameters.builder().maxOutputTokens(maxOutputTokens).seed(42L).minP(0.0).build();
    }
}

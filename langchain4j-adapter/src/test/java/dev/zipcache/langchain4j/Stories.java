package dev.zipcache.langchain4j;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.SharedFiles;

import java.nio.file.Path;

/** The real stories260K model (llama2.c checkpoint, context 512), loaded once and shared by the tests' chat models. */
final class Stories {

    private static Model shared;

    private Stories() {
    }

    static Path path() {
        return SharedFiles.file("models/stories260K/stories260K.bin");
    }

    /** One loaded model for the whole test run; its mapping is released when the JVM exits. */
    static synchronized Model model() {
        if (shared == null) {
            shared = Model.load(path());
        }
        return shared;
    }

    /** A greedy chat model over the shared weights. */
    static ZipCacheChatModel.Builder greedy() {
        return ZipCacheChatModel.builder().model(model()).temperature(0.0).threads(1);
    }

    static ZipCacheStreamingChatModel.Builder greedyStreaming() {
        return ZipCacheStreamingChatModel.builder().model(model()).temperature(0.0).threads(1);
    }
}

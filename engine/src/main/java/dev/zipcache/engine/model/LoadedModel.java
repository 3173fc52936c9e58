package dev.zipcache.engine.model;

import dev.zipcache.engine.gguf.GgufMetadata;
import dev.zipcache.engine.tokenizer.Tokenizer;

/** What a format reader produces: everything a {@link Model} holds besides its arena. */
record LoadedModel(ModelFormat format, ModelConfig config, ModelWeights weights, Tokenizer tokenizer,
                   GgufMetadata metadata) {
}

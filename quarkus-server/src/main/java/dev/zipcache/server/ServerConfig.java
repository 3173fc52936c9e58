package dev.zipcache.server;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The service's settings ({@code zipcache.*} in {@code application.properties}, or environment variables such as
 * {@code ZIPCACHE_MODEL_PATH}, {@code ZIPCACHE_KV_CACHE}, {@code ZIPCACHE_API_KEY}).
 */
@ConfigMapping(prefix = "zipcache")
public interface ServerConfig {

    /** The model to serve. */
    ModelSettings model();

    /** The KV cache spec of requests that name none ({@code kv_cache} field), e.g. {@code zipcache} or {@code fp16}. */
    @WithDefault("zipcache")
    String kvCache();

    /** The compute backend: {@code cpu}, or {@code cuda} on a machine with an NVIDIA GPU and driver. */
    @WithDefault("cpu")
    String device();

    /** Compute threads per generation (the request's thread included); all cores when absent. */
    OptionalInt threads();

    /** The most generations at once; each holds a session with a KV cache for the whole context. */
    @WithDefault("2")
    int maxConcurrent();

    /** How many requests may wait for a session; one more gets HTTP 429. */
    @WithDefault("16")
    int maxQueue();

    /** When set, {@code /v1/*} requires {@code Authorization: Bearer <key>}. */
    Optional<String> apiKey();

    /** The {@code Retry-After} seconds sent with HTTP 429. */
    @WithDefault("1")
    int retryAfterSeconds();

    /** The kernels' vector width. */
    VectorSettings vector();

    interface VectorSettings {

        /**
         * {@code zipcache.vector.bits}: 128, 256 or 512; the machine's preferred width (clamped to 128–512) when absent.
         * The kernels read it as a system property when they load, so it is set with {@code -D}; it is declared here
         * so that the service accepts it (an unknown {@code zipcache.*} property stops the start-up).
         */
        OptionalInt bits();
    }

    interface ModelSettings {

        /** A GGUF file or a llama2.c checkpoint (tokenizer beside it). */
        Path path();

        /** The id clients send as {@code model}; the file name without its extension when absent. */
        Optional<String> id();

        /**
         * Map the file (true, the default) or read the weights into memory (false, as llama.cpp's {@code --no-mmap}):
         * slower to start, and on some machines much faster to decode.
         */
        @WithDefault("true")
        boolean mmap();
    }
}

package dev.zipcache.server;

import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.SessionPool;
import dev.zipcache.spi.KvCacheStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The service's Micrometer meters, exported at {@code /q/metrics} (Prometheus names in brackets): requests
 * ({@code zipcache_requests_total}), finished generations by finish reason ({@code zipcache_generations_total}),
 * rejections ({@code zipcache_requests_rejected_total}), prompt, cached prompt and completion tokens
 * ({@code zipcache_*_tokens_total}), decode speed per generation ({@code zipcache_decode_tokens_per_second}), time to
 * first token ({@code zipcache_time_to_first_token_seconds}), sessions lent and waiting
 * ({@code zipcache_sessions_active}, {@code zipcache_sessions_waiting}), and the KV caches the idle sessions hold
 * between turns ({@code zipcache_kv_cache_bytes}, {@code zipcache_kv_cache_fp16_bytes},
 * {@code zipcache_kv_cache_compression_ratio}).
 */
@Startup
@ApplicationScoped
public class ServerMetrics {

    private final MeterRegistry registry;

    public ServerMetrics(MeterRegistry registry, ServedModel served) {
        this.registry = registry;
        SessionPool pool = served.pool();
        Gauge.builder("zipcache.sessions.active", pool, SessionPool::active)
                .description("sessions generating now").register(registry);
        Gauge.builder("zipcache.sessions.waiting", pool, SessionPool::waiting)
                .description("requests waiting for a session").register(registry);
        Gauge.builder("zipcache.sessions.capacity", pool, SessionPool::capacity)
                .description("the most generations at once (zipcache.max-concurrent)").register(registry);
        Gauge.builder("zipcache.kv.cache.bytes", pool, p -> sum(p.idleCacheStats(), false))
                .description("bytes held by the KV caches of idle sessions (kept for conversations' next turns)")
                .baseUnit("bytes").register(registry);
        Gauge.builder("zipcache.kv.cache.fp16.bytes", pool, p -> sum(p.idleCacheStats(), true))
                .description("what the same tokens would take in fp16 caches").baseUnit("bytes").register(registry);
        Gauge.builder("zipcache.kv.cache.compression.ratio", pool, ServerMetrics::compressionRatio)
                .description("fp16 bytes / bytes held, over the idle sessions' KV caches").register(registry);
    }

    private static double sum(List<KvCacheStats> stats, boolean fp16) {
        return stats.stream().mapToLong(s -> fp16 ? s.fp16Bytes() : s.bytes()).sum();
    }

    private static double compressionRatio(SessionPool pool) {
        List<KvCacheStats> stats = pool.idleCacheStats();
        double bytes = sum(stats, false);
        return bytes == 0 ? 1.0 : sum(stats, true) / bytes;
    }

    public void received(Endpoint endpoint) {
        Counter.builder("zipcache.requests").description("generation requests received")
                .tag("endpoint", endpoint.tag()).register(registry).increment();
    }

    /** A request refused before generating: {@code queue_full}, {@code invalid}, ... */
    public void rejected(Endpoint endpoint, String reason) {
        Counter.builder("zipcache.requests.rejected").tag("endpoint", endpoint.tag()).tag("reason", reason)
                .register(registry).increment();
    }

    /** A generation ended (also when cancelled because the client went away). */
    public void finished(Endpoint endpoint, GenerationResult result, long timeToFirstTokenNanos) {
        Counter.builder("zipcache.generations").description("generations finished, by finish reason")
                .tag("endpoint", endpoint.tag())
                .tag("finish_reason", result.finishReason().name().toLowerCase(Locale.ROOT))
                .register(registry).increment();
        Counter.builder("zipcache.prompt.tokens").register(registry).increment(result.usage().promptTokens());
        Counter.builder("zipcache.prompt.cached.tokens").description("prompt tokens found in a session's cache")
                .register(registry).increment(result.usage().cachedPromptTokens());
        Counter.builder("zipcache.completion.tokens").register(registry)
                .increment(result.usage().completionTokens());
        if (result.timings().decodedTokens() > 0) {
            DistributionSummary.builder("zipcache.decode.tokens.per.second")
                    .description("decode speed of each generation").publishPercentiles(0.5, 0.99)
                    .register(registry).record(result.timings().decodeTokensPerSecond());
        }
        if (timeToFirstTokenNanos > 0) {
            Timer.builder("zipcache.time.to.first.token")
                    .description("from the request's arrival (queue and prefill included) to its first token")
                    .publishPercentiles(0.5, 0.99).register(registry).record(Duration.ofNanos(timeToFirstTokenNanos));
        }
    }
}

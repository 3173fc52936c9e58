package dev.zipcache.server;

import dev.zipcache.engine.chat.ChatFormat;
import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.compute.CpuForwardPass;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.SessionPool;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.tensor.VectorShapes;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;

/**
 * The one model this process serves: its weights (shared by every request), its chat template and the pool of
 * sessions whose KV caches keep conversations between turns. Loaded at start-up, so the service is ready (health)
 * once it exists.
 */
@Startup
@ApplicationScoped
public class ServedModel {

    private static final Logger LOG = Logger.getLogger(ServedModel.class);

    private final Model model;
    private final String id;
    private final ChatFormat chatFormat;
    private final SessionPool pool;
    private final ServerConfig config;
    private final long created = Instant.now().getEpochSecond();

    public ServedModel(ServerConfig config) {
        this.config = config;
        // A wrong default spec is a start-up error, not a failure of every request.
        checkCacheSpec(config.kvCache());
        ComputeBackend.named(config.device()); // an unknown device name fails here, listing the known ones
        checkVectorWidth();
        if (config.maxConcurrent() < 1 || config.maxQueue() < 0) {
            throw new IllegalArgumentException("zipcache.max-concurrent must be ≥ 1 and zipcache.max-queue ≥ 0, got "
                    + config.maxConcurrent() + " and " + config.maxQueue());
        }
        long start = System.nanoTime();
        this.model = Model.load(config.model().path(), null, config.model().mmap());
        this.id = config.model().id().orElseGet(model::name);
        this.chatFormat = ChatFormat.forModel(model);
        int threads = config.threads().orElse(Runtime.getRuntime().availableProcessors());
        this.pool = new SessionPool(model, new SessionOptions(config.kvCache(), threads,
                CpuForwardPass.DEFAULT_MAX_BATCH, config.device()), config.maxConcurrent());
        try {
            pool.openFirstSession(); // a missing GPU or driver stops the start-up, not every request
        } catch (RuntimeException failure) {
            model.close();
            throw failure;
        }
        LOG.infof("serving %s as '%s' (context %d tokens, chat template %s, KV cache %s, %d concurrent x %d threads,"
                        + " queue %d, device %s) after %.0f ms", config.model().path(), id,
                model.config().contextLength(), chatFormat.template().id(), config.kvCache(), config.maxConcurrent(),
                threads, config.maxQueue(), config.device(),
                (System.nanoTime() - start) / 1e6);
    }

    /** A bad {@code -Dzipcache.vector.bits} fails the kernels' class initialization: a start-up error in one line. */
    private static void checkVectorWidth() {
        try {
            VectorShapes.floatSpecies();
        } catch (ExceptionInInitializerError invalid) {
            throw new IllegalArgumentException(invalid.getCause().getMessage());
        }
    }

    /**
     * Checks a KV cache spec against the caches on the class path.
     *
     * @throws IllegalArgumentException naming what exists, for an unknown cache or option
     */
    public static void checkCacheSpec(String spec) {
        Providers.kvCaches().resolve(Spec.parse(spec));
    }

    public String id() {
        return id;
    }

    public Model model() {
        return model;
    }

    public ChatFormat chatFormat() {
        return chatFormat;
    }

    public SessionPool pool() {
        return pool;
    }

    public ServerConfig config() {
        return config;
    }

    public int contextLength() {
        return model.config().contextLength();
    }

    /** When the model was loaded (epoch seconds), as OpenAI's {@code created} of a model. */
    public long created() {
        return created;
    }

    /**
     * Closes the idle sessions, then the model once no generation uses its weights any more; a generation still
     * running after a few seconds keeps the mapping, which ends with the process.
     */
    @PreDestroy
    void close() {
        pool.close();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (pool.active() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (pool.active() == 0) {
            model.close();
        } else {
            LOG.warnf("%d generations still running at shutdown; the model stays mapped until the process ends",
                    pool.active());
        }
    }
}

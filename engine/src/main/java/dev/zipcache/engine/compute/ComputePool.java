package dev.zipcache.engine.compute;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads for data-parallel loops on the hot path. The calling thread works too, so a pool of
 * {@code n} threads starts {@code n − 1} workers. Unlike an executor it allocates nothing per loop: work is handed
 * out as chunks of an index range through one atomic counter, and the caller waits for the team with a counter, not
 * with futures. One loop runs at a time; {@link #parallelFor} must not be called concurrently or re-entrantly.
 */
public final class ComputePool implements AutoCloseable {

    /** A loop body over the half-open range {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    private static final int SPIN_LIMIT = 2_000;

    private final Thread[] workers;
    private final AtomicInteger nextIndex = new AtomicInteger();
    private final AtomicInteger unfinishedWorkers = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private RangeTask task;
    private int count;
    private int chunk;

    /** @param threads total threads working on each loop, the caller included; at least 1 */
    public ComputePool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("zipcache-compute-" + (i + 1)).unstarted(this::workLoop);
            workers[i].start();
        }
    }

    /** A pool with one thread per available processor. */
    public static ComputePool ofAvailableProcessors() {
        return new ComputePool(Runtime.getRuntime().availableProcessors());
    }

    /** Threads that work on each loop, the caller included. */
    public int threads() {
        return workers.length + 1;
    }

    /**
     * Runs {@code task} over {@code [0, count)} split into chunks of about {@code count / (4 × threads)} indices, at
     * least {@code minimumChunk}; small loops run on the caller alone.
     */
    public void parallelFor(int count, int minimumChunk, RangeTask task) {
        parallelFor(count, minimumChunk, 4, task);
    }

    /**
     * {@link #parallelFor(int, int, RangeTask)} with about {@code chunksPerThread} chunks per thread. More chunks
     * balance the threads better (one that finishes early takes the next chunk instead of waiting); fewer give each
     * thread longer runs of data, which streaming loops read faster.
     */
    public void parallelFor(int count, int minimumChunk, int chunksPerThread, RangeTask task) {
        if (count <= 0) {
            return;
        }
        int perThread = Math.max(1, count / (Math.max(1, chunksPerThread) * threads()));
        int chunkSize = Math.max(Math.max(1, minimumChunk), perThread);
        if (workers.length == 0 || chunkSize >= count) {
            task.run(0, count);
            return;
        }
        if (closed) {
            throw new IllegalStateException("compute pool is closed");
        }
        this.task = task;
        this.count = count;
        this.chunk = chunkSize;
        this.caller = Thread.currentThread();
        nextIndex.set(0);
        unfinishedWorkers.set(workers.length);
        generation++; // volatile write publishes task, count and chunk to the workers
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        try {
            work();
        } catch (Throwable thrown) {
            failure.compareAndSet(null, thrown);
        }
        int spins = 0;
        while (unfinishedWorkers.get() > 0) {
            if (++spins < SPIN_LIMIT) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 50_000);
            }
        }
        this.task = null;
        Throwable thrown = failure.getAndSet(null);
        if (thrown instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (thrown instanceof Error error) {
            throw error;
        }
    }

    private void work() {
        RangeTask body = task;
        int total = count;
        int size = chunk;
        for (int start = nextIndex.getAndAdd(size); start < total; start = nextIndex.getAndAdd(size)) {
            body.run(start, Math.min(total, start + size));
        }
    }

    private void workLoop() {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPIN_LIMIT) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                work();
            } catch (Throwable thrown) {
                failure.compareAndSet(null, thrown);
            } finally {
                if (unfinishedWorkers.decrementAndGet() == 0) {
                    LockSupport.unpark(caller);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }
}

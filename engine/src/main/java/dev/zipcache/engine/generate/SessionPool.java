package dev.zipcache.engine.generate;

import dev.zipcache.engine.model.Model;
import dev.zipcache.spi.KvCacheStats;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sessions over one shared {@link Model} for callers that arrive with whole conversations (the REST service, the
 * LangChain4j adapter): at most {@code capacity} sessions exist, each used by one caller at a time, and callers
 * beyond that wait in a bounded queue.
 *
 * <p>A request goes to the idle session whose cache its prompt continues, so a follow-up turn of a conversation
 * prefills only its new tokens, even when other conversations ran in between. Without such a session it gets a new
 * one while fewer than {@code capacity} exist, else the idle session holding the longest start of its prompt, the
 * least recently used among equals (rewound, or reopened when the request asks for another cache spec).
 * Thread-safe.
 */
public final class SessionPool implements AutoCloseable {

    private final Model model;
    private final SessionOptions options;
    private final int capacity;
    private final List<Slot> idle = new ArrayList<>();
    private int leased;
    private int waiting;
    private long clock;
    private boolean closed;

    /** A session held by the pool, with what the pool last saw of it. */
    private static final class Slot {
        final Session session;
        long lastUsed;
        KvCacheStats stats;

        Slot(Session session) {
            this.session = session;
            this.stats = session.cacheStats();
        }
    }

    /**
     * @param model    the weights every session shares
     * @param options  threads and batch for new sessions; its cache spec is the default
     * @param capacity the most sessions at once (each holds a KV cache for the whole context)
     */
    public SessionPool(Model model, SessionOptions options, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a session pool needs a capacity of at least 1, got " + capacity);
        }
        this.model = Objects.requireNonNull(model, "model");
        this.options = Objects.requireNonNull(options, "options");
        this.capacity = capacity;
    }

    /** Thrown by {@link #acquire} when {@code maxWaiting} callers already wait. */
    public static final class SaturatedException extends RuntimeException {
        public SaturatedException(String message) {
            super(message);
        }
    }

    /**
     * A session lent to one caller; {@link #close()} gives it back with its cache kept for the next turn, and
     * {@link #discard()} closes it (after a failure that may have left its cache half-written).
     */
    public final class Lease implements AutoCloseable {
        private final Slot slot;
        private boolean returned;

        private Lease(Slot slot) {
            this.slot = slot;
        }

        public Session session() {
            return slot.session;
        }

        /** Gives the session back to the pool, its cache kept for a conversation's next turn. */
        @Override
        public void close() {
            giveBack(this, true);
        }

        /** Closes the session instead of giving it back; the pool opens a new one when needed. */
        public void discard() {
            giveBack(this, false);
        }
    }

    /**
     * Lends a session for a request, waiting while all {@code capacity} sessions are lent.
     *
     * @param cacheSpec    the KV cache the request wants, or null for the pool's default
     * @param promptTokens the request's prompt, to find the session that already holds its start
     * @param maxWaiting   how many callers may wait at once; one more gets {@link SaturatedException}
     * @throws IllegalArgumentException for an unknown or invalid cache spec (raised before any waiting)
     * @throws SaturatedException       when the queue is full
     * @throws InterruptedException     when the waiting thread is interrupted
     */
    public Lease acquire(String cacheSpec, int[] promptTokens, int maxWaiting) throws InterruptedException {
        String spec = cacheSpec == null ? options.kvCacheSpec() : cacheSpec;
        Slot chosen;
        boolean reopen;
        synchronized (this) {
            ensureOpen();
            if (idle.isEmpty() && leased >= capacity) {
                if (waiting >= maxWaiting) {
                    throw new SaturatedException("all " + capacity + " sessions are busy and " + waiting
                            + " requests are waiting");
                }
                waiting++;
                try {
                    while (idle.isEmpty() && leased >= capacity) {
                        wait();
                        ensureOpen();
                    }
                } finally {
                    waiting--;
                }
            }
            chosen = bestIdle(spec, promptTokens);
            if (chosen != null) {
                idle.remove(chosen);
            }
            leased++;
            reopen = chosen == null || !chosen.session.cacheSpec().equals(spec);
        }
        if (!reopen) {
            return new Lease(chosen);
        }
        // Opening allocates a whole cache: done outside the lock, in the slot already counted as leased.
        try {
            if (chosen != null) {
                chosen.session.close();
            }
            return new Lease(new Slot(Session.open(model, options.withKvCache(spec))));
        } catch (RuntimeException failure) {
            synchronized (this) {
                leased--;
                notifyAll();
            }
            throw failure;
        }
    }

    /**
     * While there is room for another session, only an idle session whose whole cache continues into the prompt
     * (a conversation's next turn) is taken, so no other conversation's cache is overwritten; null opens a new one.
     * With no room, the session holding the longest start of the prompt, the least recently used among equals.
     */
    private Slot bestIdle(String spec, int[] promptTokens) {
        boolean room = leased + idle.size() < capacity;
        Slot best = null;
        int bestShared = -1;
        for (Slot slot : idle) {
            boolean sameSpec = slot.session.cacheSpec().equals(spec);
            int shared = sameSpec ? slot.session.reusablePrefix(promptTokens) : 0;
            if (room && (!sameSpec || shared == 0 || shared < slot.session.cachedTokens())) {
                continue;
            }
            if (shared > bestShared || (shared == bestShared && slot.lastUsed < best.lastUsed)) {
                best = slot;
                bestShared = shared;
            }
        }
        return best;
    }

    private synchronized void giveBack(Lease lease, boolean keep) {
        if (lease.returned) {
            return;
        }
        lease.returned = true;
        leased--;
        Slot slot = lease.slot;
        if (keep && !closed) {
            slot.lastUsed = ++clock;
            slot.stats = slot.session.cacheStats();
            idle.add(slot);
        } else {
            slot.session.close();
        }
        notifyAll();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the session pool is closed");
        }
    }

    /**
     * Opens one session now and keeps it idle for the first request, so that a problem opening sessions (no GPU or
     * driver for the chosen device) shows when a service starts rather than on its first request.
     *
     * @throws RuntimeException whatever opening a session throws (e.g. the device's
     *                          {@code DeviceUnavailableException})
     */
    public void openFirstSession() {
        try {
            acquire(null, new int[] {model.tokenizer().specialTokens().bos()}, 0).close();
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the first session", interrupted);
        }
    }

    /** Sessions lent out now. */
    public synchronized int active() {
        return leased;
    }

    /** Callers waiting for a session now. */
    public synchronized int waiting() {
        return waiting;
    }

    public int capacity() {
        return capacity;
    }

    /** The KV cache statistics of the idle sessions, as they were given back (lent ones are being written). */
    public synchronized List<KvCacheStats> idleCacheStats() {
        return idle.stream().map(slot -> slot.stats).toList();
    }

    public Model model() {
        return model;
    }

    /** The options new sessions get (their cache spec being the default). */
    public SessionOptions options() {
        return options;
    }

    /** Closes the idle sessions; lent ones close when given back. Waiting callers get an exception. */
    @Override
    public synchronized void close() {
        closed = true;
        idle.forEach(slot -> slot.session.close());
        idle.clear();
        notifyAll();
    }
}

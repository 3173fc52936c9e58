package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;

import java.util.Arrays;

/**
 * The bookkeeping every cache shares: tokens appended per layer during a step, checked against each other and the
 * maximum, committed together; and a closed cache refuses use. Subclasses store the tokens.
 */
abstract class StepKvCache implements KvCache {

    protected final KvCacheGeometry geometry;
    private final int[] pending;
    protected int committed;
    private boolean closed;

    StepKvCache(KvCacheGeometry geometry) {
        this.geometry = geometry;
        this.pending = new int[geometry.layers()];
    }

    /** Runs after every layer has received the {@code count} committed tokens. */
    abstract void afterCommit(int count, AttentionKind kind);

    @Override
    public KvCacheGeometry geometry() {
        return geometry;
    }

    @Override
    public int length() {
        checkOpen();
        return committed;
    }

    /**
     * Records {@code count} tokens appended to {@code layer} in this step.
     *
     * @return the position of the first of them
     * @throws IllegalStateException when the cache would exceed its maximum
     */
    protected int reserve(int layer, int count) {
        checkOpen();
        int start = committed + pending[layer];
        if (start + count > geometry.maxTokens()) {
            throw new IllegalStateException("KV cache is full: " + (start + count) + " tokens exceed its maximum of "
                    + geometry.maxTokens());
        }
        pending[layer] += count;
        return start;
    }

    /**
     * Whether a prompt of {@code tokens} announced before its prefill ({@link KvCache#beginPrefill}) fits after the
     * committed tokens: only then does a cache size its storage for it. One that does not fit reserves nothing and
     * fails on its first append with {@link #reserve}'s error.
     */
    protected boolean announcedPromptFits(int tokens) {
        return tokens > 0 && (long) committed + tokens <= geometry.maxTokens();
    }

    /** Tokens of {@code layer} stored so far, this step's included. */
    protected int stored(int layer) {
        return committed + pending[layer];
    }

    @Override
    public final void commit(int count, AttentionKind kind) {
        checkOpen();
        for (int layer = 0; layer < pending.length; layer++) {
            if (pending[layer] != count) {
                throw new IllegalStateException("commit of " + count + " tokens but layer " + layer + " received "
                        + pending[layer]);
            }
        }
        Arrays.fill(pending, 0);
        committed += count;
        afterCommit(count, kind);
    }

    /**
     * Truncation for caches that do not keep positions: keeping everything is a no-op, emptying calls
     * {@link #clearStored()}, anything else is refused (the caller then starts over from empty).
     */
    @Override
    public boolean truncate(int length) {
        checkOpen();
        if (length == committed) {
            return true;
        }
        if (length != 0) {
            return false;
        }
        clearStored();
        rewind(0);
        return true;
    }

    /** Drops every stored token (for {@link #truncate} to 0). */
    void clearStored() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " truncates by itself");
    }

    /** Sets the committed length and forgets the step in progress (truncation). */
    protected void rewind(int length) {
        Arrays.fill(pending, 0);
        committed = length;
    }

    @Override
    public void close() {
        closed = true;
    }

    protected boolean closed() {
        return closed;
    }

    protected void checkOpen() {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
    }
}

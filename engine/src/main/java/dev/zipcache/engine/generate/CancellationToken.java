package dev.zipcache.engine.generate;

/** Lets another thread stop a generation; it ends after the token in progress with {@link FinishReason#CANCELLED}. */
public final class CancellationToken {

    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}

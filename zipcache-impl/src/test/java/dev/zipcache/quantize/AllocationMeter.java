package dev.zipcache.quantize;

import java.lang.management.ManagementFactory;

/**
 * Bytes a piece of work allocates on the current thread once the JIT has compiled it: the allocation tests' one
 * instrument (a vector that C2 fails to keep in registers is boxed on the heap). The thread's allocation counter, no
 * timing.
 */
public final class AllocationMeter {

    /** The first rounds run interpreted or in C1, which box vectors; this many give C2 time to compile. */
    private static final int MAX_ROUNDS = 60;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private AllocationMeter() {
    }

    /**
     * Runs {@code round} until one run allocates nothing, at most {@value #MAX_ROUNDS} times, and returns what the last
     * run allocated (0 once compiled code keeps everything in registers).
     */
    public static long bytesOnceCompiled(Runnable round) {
        long allocated = Long.MAX_VALUE;
        for (int run = 0; run < MAX_ROUNDS && allocated > 0; run++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            round.run();
            allocated = THREADS.getCurrentThreadAllocatedBytes() - before - counterOverhead();
        }
        return allocated;
    }

    /** What reading the counter itself allocates. */
    private static long counterOverhead() {
        long first = THREADS.getCurrentThreadAllocatedBytes();
        return THREADS.getCurrentThreadAllocatedBytes() - first;
    }
}

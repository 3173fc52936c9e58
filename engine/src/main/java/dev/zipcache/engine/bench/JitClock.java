package dev.zipcache.engine.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * The JIT compilers' accumulated working time, so that a benchmark can tell whether they were busy during a run. On a
 * machine with few cores a compilation takes a core from the run it overlaps.
 */
@FunctionalInterface
public interface JitClock {

    /** What {@link #compileMillis()} returns where the JVM does not report it (no JIT, as in a native image). */
    long UNKNOWN = -1;

    /**
     * Milliseconds the JIT compilers have worked since the JVM started, summed over their threads, or
     * {@link #UNKNOWN}.
     */
    long compileMillis();

    /** This JVM's compilers, through {@link CompilationMXBean}; {@link #UNKNOWN} where it has none to monitor. */
    static JitClock system() {
        CompilationMXBean compilation = ManagementFactory.getCompilationMXBean();
        if (compilation == null || !compilation.isCompilationTimeMonitoringSupported()) {
            return () -> UNKNOWN;
        }
        return compilation::getTotalCompilationTime;
    }
}

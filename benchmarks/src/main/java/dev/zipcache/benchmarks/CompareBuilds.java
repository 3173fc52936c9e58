package dev.zipcache.benchmarks;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Decode attention of two builds of the project compared in one JVM: each build's {@link DecodeAttentionBenchmark}
 * state is loaded from its own jar in its own class loader, filled, and then the two are called in turn (the order
 * swapped every round), so that a busy neighbour or a frequency change on a shared machine slows both alike. On this
 * project's VMs separate JMH runs of the same build move by more than the kernel changes they are meant to show; the
 * minima of an alternating run repeat to a few percent. It also prints how far the two builds' attention outputs
 * differ, so that a faster kernel is seen to compute the same thing.
 *
 * <p>Run (a build's {@code benchmarks/target/benchmarks.jar}, copied aside before rebuilding): {@code java
 * --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar dev.zipcache.benchmarks.CompareBuilds
 * OLD.jar NEW.jar CACHE TOKENS [ROUNDS]}
 */
public final class CompareBuilds {

    /** Untimed calls per build before the timed rounds, so that both builds' kernels are compiled. */
    private static final int WARM_UP_CALLS = 30;

    /** One build's times per call, in nanoseconds, and its attention output for the benchmark's query. */
    public record Timings(long[] nanos, float[] output) {

        /** The fastest call, in microseconds: the least disturbed. */
        public double minimumMicros() {
            return Arrays.stream(nanos).min().orElseThrow() / 1e3;
        }

        /** The middle call, in microseconds. */
        public double medianMicros() {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2] / 1e3;
        }
    }

    private CompareBuilds() {
    }

    /**
     * Fills one {@link DecodeAttentionBenchmark} state per build (each a list of class path entries) for
     * {@code cache} at {@code tokens}, then times {@code rounds} calls of each, in turn.
     */
    public static List<Timings> run(List<List<URL>> builds, String cache, int tokens, int rounds) {
        if (builds.size() < 2 || tokens < 1 || rounds < 1) {
            throw new IllegalArgumentException("need two builds, at least one token and one round; got "
                    + builds.size() + ", " + tokens + ", " + rounds);
        }
        Object[] states = new Object[builds.size()];
        Method[] attend = new Method[builds.size()];
        Thread thread = Thread.currentThread();
        ClassLoader context = thread.getContextClassLoader();
        try {
            for (int b = 0; b < builds.size(); b++) {
                ClassLoader loader = new URLClassLoader(builds.get(b).toArray(URL[]::new),
                        ClassLoader.getPlatformClassLoader());
                // The SPI also looks for providers through the context class loader: this build's, not the caller's,
                // whose classes of the same names are other classes.
                thread.setContextClassLoader(loader);
                Class<?> type = loader.loadClass(DecodeAttentionBenchmark.class.getName());
                Object state = type.getConstructor().newInstance();
                type.getField("cache").set(state, cache);
                type.getField("tokens").setInt(state, tokens);
                type.getMethod("fill").invoke(state);
                states[b] = state;
                attend[b] = type.getMethod("decodeAttention");
            }
            for (int call = 0; call < WARM_UP_CALLS; call++) {
                for (int b = 0; b < states.length; b++) {
                    attend[b].invoke(states[b]);
                }
            }
            long[][] nanos = new long[states.length][rounds];
            float[][] outputs = new float[states.length][];
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < states.length; k++) {
                    int b = round % 2 == 0 ? k : states.length - 1 - k;
                    long start = System.nanoTime();
                    outputs[b] = (float[]) attend[b].invoke(states[b]);
                    nanos[b][round] = System.nanoTime() - start;
                }
            }
            for (int b = 0; b < states.length; b++) {
                states[b].getClass().getMethod("close").invoke(states[b]);
            }
            return IntStream.range(0, states.length)
                    .mapToObj(b -> new Timings(nanos[b], outputs[b].clone())).toList();
        } catch (InvocationTargetException failure) {
            Throwable cause = failure.getCause();
            throw new IllegalArgumentException(cause.getMessage() == null ? cause.toString() : cause.getMessage(),
                    cause);
        } catch (ReflectiveOperationException failure) {
            throw new IllegalArgumentException("not a zipcache benchmarks jar: " + failure, failure);
        } finally {
            thread.setContextClassLoader(context);
        }
    }

    public static void main(String[] args) {
        if (args.length < 4 || args.length > 5) {
            System.err.println("usage: CompareBuilds OLD.jar NEW.jar CACHE TOKENS [ROUNDS]");
            System.exit(2);
        }
        try {
            List<List<URL>> builds = List.of(jar(args[0]), jar(args[1]));
            List<Timings> timings = run(builds, args[2], Integer.parseInt(args[3]),
                    args.length == 5 ? Integer.parseInt(args[4]) : 40);
            for (int b = 0; b < timings.size(); b++) {
                System.out.printf(Locale.ROOT, "%s %s %s tokens: min %.0f us, median %.0f us%n", args[b], args[2],
                        args[3], timings.get(b).minimumMicros(), timings.get(b).medianMicros());
            }
            System.out.printf(Locale.ROOT, "largest difference between the builds' outputs: %.3g%n",
                    largestDifference(timings.get(0).output(), timings.get(1).output()));
        } catch (RuntimeException failure) {
            // A missing jar, a bad number, an unknown cache: one line, as the CLI says it.
            System.err.println("CompareBuilds: " + failure.getMessage());
            System.exit(1);
        }
    }

    /** The largest absolute difference between two outputs of the same shape. */
    static double largestDifference(float[] first, float[] second) {
        if (first.length != second.length) {
            throw new IllegalArgumentException("the builds' outputs differ in length: " + first.length + " and "
                    + second.length);
        }
        double largest = 0;
        for (int i = 0; i < first.length; i++) {
            largest = Math.max(largest, Math.abs((double) first[i] - second[i]));
        }
        return largest;
    }

    private static List<URL> jar(String path) {
        Path file = Path.of(path);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no such jar: " + path);
        }
        try {
            return List.of(file.toUri().toURL());
        } catch (MalformedURLException failure) {
            throw new IllegalArgumentException("not a jar path: " + path, failure);
        }
    }
}

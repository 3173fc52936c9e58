package dev.zipcache.cli;

import dev.zipcache.engine.generate.CancellationToken;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Ctrl-C (SIGINT) for an interactive chat: while an answer is being generated it cancels that answer; otherwise it
 * does what Ctrl-C always does (the previous handler is put back and the signal raised again, so the JVM exits).
 *
 * <p>It uses {@code sun.misc.Signal} from {@code jdk.unsupported}, which Java 25 still exports without a runtime
 * warning. It is reached by reflection because javac flags any direct use as internal proprietary API with a warning
 * that cannot be suppressed. Where the class or the INT signal is unavailable, {@link #install()} returns a handler
 * that does nothing, and Ctrl-C ends the program as usual.
 */
final class InterruptHandler implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(InterruptHandler.class.getName());

    private final Method handle;
    private final Method raise;
    private final Object signal;
    /** The handler this one replaced, null until installed (and for {@link #none()}). */
    private volatile Object previous;
    private volatile CancellationToken current;

    private InterruptHandler(Method handle, Method raise, Object signal) {
        this.handle = handle;
        this.raise = raise;
        this.signal = signal;
    }

    /** A handler that installs nothing (stdin is not a terminal, or signals are unavailable). */
    static InterruptHandler none() {
        return new InterruptHandler(null, null, null);
    }

    /** Installs the SIGINT handler, or returns {@link #none()} when that is not possible here. */
    static InterruptHandler install() {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance("INT");
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Method raise = signalClass.getMethod("raise", signalClass);
            InterruptHandler handler = new InterruptHandler(handle, raise, signal);
            Object proxy = Proxy.newProxyInstance(InterruptHandler.class.getClassLoader(),
                    new Class<?>[] {handlerClass}, (self, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            handler.onInterrupt();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(self);
                        case "equals" -> self == args[0];
                        default -> "zipcache chat interrupt handler";
                    });
            handler.previous = handle.invoke(null, signal, proxy);
            return handler;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException unavailable) {
            LOG.log(System.Logger.Level.DEBUG, "no SIGINT handler; Ctrl-C ends the program", unavailable);
            return none();
        }
    }

    /** Whether Ctrl-C stops the current answer rather than the program. */
    boolean installed() {
        return previous != null;
    }

    /** Ctrl-C cancels {@code token} until {@link #idle()}. */
    void generating(CancellationToken token) {
        current = token;
    }

    /** Ctrl-C ends the program again. */
    void idle() {
        current = null;
    }

    private void onInterrupt() {
        CancellationToken token = current;
        if (token != null) {
            token.cancel();
            return;
        }
        if (previous == null) {
            Runtime.getRuntime().exit(130); // not fully installed yet: exit as the default handler would
            return;
        }
        close();
        try {
            raise.invoke(null, signal);
        } catch (IllegalAccessException | InvocationTargetException failed) {
            Runtime.getRuntime().exit(130);
        }
    }

    /** Puts the previous SIGINT handler back. */
    @Override
    public void close() {
        Object replaced = previous;
        if (replaced == null) {
            return;
        }
        previous = null;
        try {
            handle.invoke(null, signal, replaced);
        } catch (IllegalAccessException | InvocationTargetException failed) {
            LOG.log(System.Logger.Level.DEBUG, "could not restore the SIGINT handler", failed);
        }
    }
}

package dev.zipcache.cli;

import dev.zipcache.engine.tensor.VectorShapes;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code zipcache} command suite. Exit codes: 0 success, 1 runtime error (bad model file, prompt too long, ...),
 * 2 usage error (unknown option, bad value). Errors are one line on stderr, never a stack trace
 * ({@code ZIPCACHE_DEBUG=1} prints it).
 */
@Command(name = "zipcache", mixinStandardHelpOptions = true, versionProvider = ZipcacheCommand.Version.class,
        description = "LLM inference with a ZipCache-compressed KV cache.",
        subcommands = {GenerateCommand.class, ChatCommand.class, InfoCommand.class, ConvertCommand.class,
                CachesCommand.class, PerplexityCommand.class, EvalCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class ZipcacheCommand implements Runnable {

    /** Exit code of a runtime failure. */
    public static final int RUNTIME_ERROR = 1;
    /** Exit code of a usage error. */
    public static final int USAGE_ERROR = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing command: generate, chat, info, convert, caches, perplexity, eval, bench");
    }

    public static void main(String[] args) {
        try {
            VectorShapes.floatSpecies();
        } catch (ExceptionInInitializerError invalid) {
            // A bad -Dzipcache.vector.bits fails the kernels' class initialization (the engine's here, the caches'
            // read the same property the same way): one line, not a stack trace.
            System.err.println("zipcache: " + invalid.getCause().getMessage());
            System.exit(USAGE_ERROR);
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: error handlers that print one line and map to exit codes. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new ZipcacheCommand());
        commandLine.setExecutionExceptionHandler((failure, line, parseResult) -> {
            PrintWriter err = line.getErr();
            if (System.getenv("ZIPCACHE_DEBUG") != null) {
                failure.printStackTrace(err);
            }
            if (failure instanceof UsageException usage) {
                err.println("zipcache " + line.getCommandName() + ": " + usage.getMessage());
                err.flush();
                return USAGE_ERROR;
            }
            err.println("zipcache " + line.getCommandName() + ": error: " + oneLine(failure));
            err.flush();
            return RUNTIME_ERROR;
        });
        commandLine.setParameterExceptionHandler((failure, args) -> {
            PrintWriter err = failure.getCommandLine().getErr();
            err.println("zipcache " + failure.getCommandLine().getCommandName() + ": " + failure.getMessage());
            err.println("Try 'zipcache " + failure.getCommandLine().getCommandName() + " --help'.");
            err.flush();
            return USAGE_ERROR;
        });
        return commandLine;
    }

    private static String oneLine(Throwable failure) {
        String message = failure.getMessage();
        if (message == null || message.isBlank()) {
            message = failure.getClass().getSimpleName();
        }
        if (failure instanceof OutOfMemoryError) {
            message = "out of memory (" + message + "); give the JVM more with JAVA_OPTS=-Xmx…";
        }
        return message.replace('\n', ' ');
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = ZipcacheCommand.class.getPackage().getImplementationVersion();
            return new String[] {"zipcache " + (version == null ? "development build" : version),
                    "Java " + Runtime.version()};
        }
    }
}

package dev.zipcache.cli;

import dev.zipcache.engine.generate.CancellationToken;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code zipcache chat} with piped stdin, as a script would drive it. */
class ChatCommandTest {

    private static final String MODEL = "models/stories260K/stories260K.bin";
    private static final Pattern STATS = Pattern.compile(
            "turns: (\\d+) \\| tokens: (\\d+) of 512 \\| KV cache fp16: (\\d+) bytes, fp16 (\\d+) bytes, ([0-9.]+)x");

    /** Runs {@code zipcache chat} in-process with {@code stdin} as its input. */
    private static CliRun chat(String stdin, String... options) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = ZipcacheCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        ChatCommand command = commandLine.getSubcommands().get("chat").getCommand();
        command.input = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        List<String> args = new ArrayList<>(List.of("chat", "-m", SharedFiles.file(MODEL).toString(),
                "--temperature", "0", "-t", "2"));
        args.addAll(List.of(options));
        int exitCode = commandLine.execute(args.toArray(String[]::new));
        return new CliRun(exitCode, out.toString(), err.toString());
    }

    private static List<Matcher> stats(String out) {
        return out.lines().map(STATS::matcher).filter(Matcher::find).toList();
    }

    @Test
    void answersEachLineAndReportsStatsUntilEndOfInput() {
        CliRun run = chat("Tell me a story.\nWhat did the cat do?\n/stats\n", "-n", "20", "--system", "Stories.");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContain("> "); // no prompt marker when stdin is not a terminal
        List<Matcher> stats = stats(run.out());
        assertThat(stats).hasSize(1);
        Matcher line = stats.getFirst();
        assertThat(line.group(1)).isEqualTo("2");
        long tokens = Long.parseLong(line.group(2));
        assertThat(tokens).isPositive();
        // fp16: 5 layers × (K + V) × 32 channels × 2 bytes per token, exactly the fp16 baseline.
        assertThat(Long.parseLong(line.group(3))).isEqualTo(tokens * 5 * 2 * 32 * 2);
        assertThat(line.group(4)).isEqualTo(line.group(3));
        assertThat(line.group(5)).isEqualTo("1.00");
        // The second answer reused the first turn's cache.
        assertThat(run.out()).containsPattern("last answer: \\d+ prompt tokens \\([1-9]\\d* cached");
        assertThat(run.out().lines().filter(answer -> !answer.isBlank()).count()).isEqualTo(3);
    }

    @Test
    void resetEmptiesTheConversationAndTheCache() {
        CliRun run = chat("Hello.\n/stats\n/reset\n/stats\nHello.\n/stats\n", "-n", "12");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("(conversation reset)");
        List<Matcher> stats = stats(run.out());
        assertThat(stats).hasSize(3);
        assertThat(stats.get(0).group(1)).isEqualTo("1");
        assertThat(stats.get(1).group(1)).isEqualTo("0");
        assertThat(stats.get(1).group(2)).isEqualTo("0");
        assertThat(stats.get(1).group(3)).isEqualTo("0");
        // Greedy from an empty cache again: the same answer and the same number of cached tokens.
        assertThat(stats.get(2).group(2)).isEqualTo(stats.get(0).group(2));
    }

    @Test
    void exitStopsReadingAndUnknownCommandsAreReported() {
        CliRun run = chat("/nonsense\n/exit\nThis line is never answered.\n", "-n", "8");
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).contains("unknown command /nonsense");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void messageBeyondTheContextIsReportedAndTheChatGoesOn() {
        CliRun run = chat("a cat sat on the mat ".repeat(200) + "\nHi\n/stats\n", "-n", "8");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("does not fit the model's context");
        assertThat(stats(run.out()).getFirst().group(1)).isEqualTo("1");
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertThat(chat("", "--kv-cache", "nosuchcache").exitCode()).isEqualTo(ZipcacheCommand.USAGE_ERROR);
        CliRun template = chat("", "--chat-template", "jinja");
        assertThat(template.exitCode()).isEqualTo(ZipcacheCommand.USAGE_ERROR);
        assertThat(template.err()).contains("unknown template 'jinja'");
        assertThat(chat("", "-n", "0").exitCode()).isEqualTo(ZipcacheCommand.USAGE_ERROR);
    }

    @Test
    void forcedTemplateIsUsed() {
        CliRun run = chat("Hi\n/stats\n", "-n", "4", "--chat-template", "chatml");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(stats(run.out())).hasSize(1);
    }

    /** Ctrl-C while answering cancels the answer instead of ending the JVM. */
    @Test
    void interruptCancelsTheCurrentAnswer() throws Exception {
        try (InterruptHandler handler = InterruptHandler.install()) {
            if (!handler.installed()) {
                return; // no sun.misc.Signal here: Ctrl-C ends the program, as documented
            }
            CancellationToken token = new CancellationToken();
            handler.generating(token);
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Method raise = signalClass.getMethod("raise", signalClass);
            raise.invoke(null, signalClass.getConstructor(String.class).newInstance("INT"));
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!token.isCancelled() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(token.isCancelled()).isTrue();
            handler.idle();
        }
    }
}

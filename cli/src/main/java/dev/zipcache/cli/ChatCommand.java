package dev.zipcache.cli;

import dev.zipcache.engine.chat.ChatOptions;
import dev.zipcache.engine.chat.ChatReply;
import dev.zipcache.engine.chat.ChatSession;
import dev.zipcache.engine.chat.ChatTemplate;
import dev.zipcache.engine.generate.CancellationToken;
import dev.zipcache.engine.generate.ContextOverflowException;
import dev.zipcache.engine.generate.FinishReason;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.model.Model;
import dev.zipcache.spi.KvCacheStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code zipcache chat}: a multi-turn conversation in the terminal. Each line read from stdin is a user message; the
 * answer streams to stdout. Lines starting with {@code /} are commands. The KV cache keeps the conversation, so a
 * follow-up only prefills its new tokens.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with a model: one line of stdin per message, answers stream to stdout.",
                "Commands: /reset (forget the conversation), /stats (tokens, KV cache size), /exit (or Ctrl-D).",
                "Ctrl-C stops the current answer in a terminal."})
final class ChatCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--system", paramLabel = "TEXT", description = "the system prompt")
    String system;

    @Option(names = "--chat-template", paramLabel = "NAME",
            description = "llama2, llama3, chatml, mistral, zephyr, gemma or plain (default: from the model's "
                    + "tokenizer.chat_template; plain when it has none)")
    String templateName;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", paramLabel = "N",
            description = "the most tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Mixin
    SamplingOptions samplingOptions;

    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--kv-cache", defaultValue = SessionOptions.DEFAULT_KV_CACHE, paramLabel = "SPEC",
            description = "KV cache NAME[:key=value,...]; see 'zipcache caches' (default: ${DEFAULT-VALUE})")
    String kvCache;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "compute threads (default: all cores)")
    Integer threads;

    /** Where messages come from; tests replace it. */
    InputStream input = System.in;

    @Override
    public void run() {
        if (maxTokens < 1) {
            throw new UsageException("--max-tokens must be ≥ 1");
        }
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1) {
            throw new UsageException("--threads must be at least 1");
        }
        ChatTemplate forcedTemplate = templateName == null ? null : ChatTemplate.named(templateName).orElseThrow(
                () -> new UsageException("--chat-template: unknown template '" + templateName
                        + "'; known: llama2, llama3, chatml, mistral, zephyr, gemma, plain"));
        GenerateCommand.validateCacheSpec(kvCache);
        String device = deviceOptions.validated();
        ChatOptions options = new ChatOptions(maxTokens, samplingOptions.parameters(), List.of(), null);
        boolean interactive = isTerminal();
        try (Model model = modelOptions.load();
             Session session = Session.open(model, SessionOptions.defaults().withKvCache(kvCache)
                     .withThreads(threadCount).withDevice(device));
             InterruptHandler interrupts = interactive ? InterruptHandler.install() : InterruptHandler.none()) {
            ChatTemplate template = forcedTemplate != null ? forcedTemplate : ChatTemplate.forModel(model);
            ChatSession chat = new ChatSession(session, template, system);
            if (interactive) {
                PrintWriter err = spec.commandLine().getErr();
                err.printf("chat template: %s | KV cache: %s | /reset /stats /exit, Ctrl-D quits%s%n", template.id(),
                        kvCache, interrupts.installed() ? ", Ctrl-C stops an answer" : "");
                err.flush();
            }
            converse(chat, options, interactive, interrupts);
        }
    }

    /** The prompt marker only makes sense to a person typing; piped input gets clean output. */
    private boolean isTerminal() {
        Console console = System.console();
        return input == System.in && console != null && console.isTerminal();
    }

    private void converse(ChatSession chat, ChatOptions options, boolean interactive, InterruptHandler interrupts) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BufferedReader lines = new BufferedReader(new InputStreamReader(input, inputCharset()));
        GenerationResult last = null;
        while (true) {
            if (interactive) {
                out.print("> ");
                out.flush();
            }
            String line = readLine(lines);
            if (line == null) {
                if (interactive) {
                    out.println();
                }
                return;
            }
            String message = line.strip();
            if (message.isEmpty()) {
                continue;
            }
            switch (message) {
                case "/exit", "/quit" -> {
                    return;
                }
                case "/reset" -> {
                    chat.reset();
                    last = null;
                    out.println("(conversation reset)");
                }
                case "/stats" -> out.println(stats(chat, last));
                case "/help" -> out.println("/reset forgets the conversation, /stats shows tokens and KV cache size, "
                        + "/exit quits (so does Ctrl-D)");
                default -> {
                    if (message.startsWith("/")) {
                        err.println("unknown command " + message + "; try /help");
                        err.flush();
                    } else {
                        last = answer(chat, line, options, interrupts, out, err);
                    }
                }
            }
            out.flush();
        }
    }

    private static GenerationResult answer(ChatSession chat, String message, ChatOptions options,
                                           InterruptHandler interrupts, PrintWriter out, PrintWriter err) {
        CancellationToken cancellation = new CancellationToken();
        interrupts.generating(cancellation);
        try {
            ChatReply reply = chat.send(message, options.withCancellation(cancellation), streamTo(out));
            out.println();
            out.flush();
            if (reply.droppedMessages() > 0) {
                err.println("(the context was full: dropped the " + reply.droppedMessages() + " oldest messages)");
            }
            if (reply.result().finishReason() == FinishReason.CANCELLED) {
                err.println("(answer stopped)");
            }
            err.flush();
            return reply.result();
        } catch (ContextOverflowException tooLong) {
            err.println("error: " + tooLong.getMessage() + "; send a shorter message or /reset");
            err.flush();
            return null;
        } finally {
            interrupts.idle();
        }
    }

    /** Streams answer text, without the space a plain-template answer starts with after {@code Assistant:}. */
    private static TokenListener streamTo(PrintWriter out) {
        boolean[] started = {false};
        return (token, text) -> {
            String shown = started[0] ? text : text.stripLeading();
            if (!shown.isEmpty()) {
                started[0] = true;
                out.print(shown);
                out.flush();
            }
        };
    }

    private static String stats(ChatSession chat, GenerationResult last) {
        KvCacheStats cache = chat.session().cacheStats();
        String lastAnswer = last == null ? "" : String.format(" | last answer: %d prompt tokens (%d cached, %d "
                        + "prefilled), %d generated, %.1f tok/s", last.usage().promptTokens(),
                last.usage().cachedPromptTokens(), last.timings().prefilledTokens(), last.usage().completionTokens(),
                last.timings().decodeTokensPerSecond());
        return String.format("turns: %d | tokens: %d of %d | KV cache %s: %d bytes, fp16 %d bytes, %.2fx "
                        + "compression%s", chat.answers(), cache.tokens(),
                chat.session().model().config().contextLength(), chat.session().cacheSpec(), cache.bytes(),
                cache.fp16Bytes(), cache.compressionRatio(), lastAnswer);
    }

    private static String readLine(BufferedReader lines) {
        try {
            return lines.readLine();
        } catch (IOException failure) {
            throw new UncheckedIOException("cannot read stdin: " + failure.getMessage(), failure);
        }
    }

    /** The terminal's encoding where Java reports it ({@code stdin.encoding}), else UTF-8. */
    private static Charset inputCharset() {
        String name = System.getProperty("stdin.encoding");
        try {
            return name == null ? StandardCharsets.UTF_8 : Charset.forName(name);
        } catch (IllegalArgumentException unknown) {
            return StandardCharsets.UTF_8;
        }
    }
}

package dev.zipcache.cli;

import dev.zipcache.engine.convert.GgufConverter;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.tensor.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code zipcache convert}: write a model as GGUF (llama2.c checkpoint → GGUF, or re-quantize a GGUF). */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Convert a llama2.c checkpoint (or a Llama GGUF) to GGUF with F32, F16, Q8_0 or Q4_0 weights.")
final class ConvertCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "the GGUF file to write")
    Path output;

    @Option(names = "--type", defaultValue = "f32", paramLabel = "TYPE",
            description = "weight type: f32, f16, q8_0, q4_0 (default: ${DEFAULT-VALUE})")
    String type;

    @Override
    public void run() {
        GgmlType weightType = parseType(type);
        if (output.toAbsolutePath().getParent() == null || !Files.isDirectory(output.toAbsolutePath().getParent())) {
            throw new UsageException("--output: folder " + output.toAbsolutePath().getParent() + " does not exist");
        }
        try (Model model = modelOptions.load()) {
            GgufConverter.Report report = GgufConverter.convert(model, weightType, output);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("wrote %s (%s, %d tensors, %d bytes)%n", output, weightType, report.tensorTypes().size(),
                    Files.size(output));
            if (!report.fallbacks().isEmpty()) {
                out.println("stored as F16 because their rows are not whole " + weightType + " blocks: "
                        + String.join(", ", report.fallbacks()));
            }
            out.flush();
        } catch (IOException failure) {
            throw new UncheckedIOException("cannot write " + output + ": " + failure.getMessage(), failure);
        }
    }

    private static GgmlType parseType(String name) {
        for (GgmlType candidate : GgufConverter.supportedTypes()) {
            if (candidate.name().equalsIgnoreCase(name)) {
                return candidate;
            }
        }
        throw new UsageException("--type: '" + name + "' is not one of "
                + GgufConverter.supportedTypes().toString().toLowerCase(Locale.ROOT));
    }
}

package dev.zipcache.cli;

import dev.zipcache.engine.gguf.GgufFile;
import dev.zipcache.engine.gguf.GgufTensorInfo;
import dev.zipcache.engine.gguf.GgufValue;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelFormat;
import dev.zipcache.engine.tokenizer.SpecialTokens;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** {@code zipcache info}: a model's configuration, metadata and tensor table. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a model's configuration, GGUF metadata and tensor table.")
final class InfoCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--json", description = "print one JSON object")
    boolean json;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        try (Model model = modelOptions.load(); Arena arena = Arena.ofConfined()) {
            GgufFile gguf = model.format() == ModelFormat.GGUF ? GgufFile.open(model.path(), arena) : null;
            Map<String, Object> config = configuration(model);
            if (json) {
                Map<String, Object> root = Json.object();
                root.put("config", config);
                if (gguf != null) {
                    Map<String, Object> metadata = Json.object();
                    gguf.metadata().entries().forEach((key, value) -> metadata.put(key, value.display()));
                    root.put("metadata", metadata);
                    root.put("tensors", tensorRows(gguf));
                }
                out.println(Json.write(root));
            } else {
                config.forEach((key, value) -> out.printf("%-22s %s%n", key, value));
                if (gguf != null) {
                    out.printf("%nmetadata (%d keys, GGUF v%d)%n", gguf.metadata().entries().size(), gguf.version());
                    for (Map.Entry<String, GgufValue> entry : gguf.metadata().entries().entrySet()) {
                        out.printf("  %-45s %-8s %s%n", entry.getKey(), entry.getValue().type(),
                                entry.getValue().display());
                    }
                    out.printf("%ntensors (%d)%n", gguf.tensors().size());
                    for (GgufTensorInfo info : gguf.tensors().values()) {
                        out.printf("  %-32s %-5s %-16s %,12d bytes%n", info.name(), info.type(),
                                Arrays.toString(info.dimensions()), info.byteSize());
                    }
                }
            }
            out.flush();
        } catch (IOException failure) {
            throw new UncheckedIOException(failure.getMessage(), failure);
        }
    }

    private static Map<String, Object> configuration(Model model) {
        ModelConfig config = model.config();
        SpecialTokens special = model.tokenizer().specialTokens();
        Map<String, Object> map = Json.object();
        map.put("file", model.path().toString());
        map.put("format", model.format().name().toLowerCase());
        map.put("architecture", config.architecture().ggufName());
        map.put("name", config.name());
        map.put("embedding_length", config.embeddingLength());
        map.put("feed_forward_length", config.feedForwardLength());
        map.put("layers", config.layers());
        map.put("heads", config.heads());
        map.put("kv_heads", config.kvHeads());
        map.put("head_dimension", config.headDimension());
        map.put("vocabulary_size", config.vocabularySize());
        map.put("context_length", config.contextLength());
        map.put("rms_epsilon", config.rmsEpsilon());
        map.put("rope_base", config.ropeBase());
        map.put("rope_dimensions", config.ropeDimensions());
        map.put("rope_style", config.architecture().ropeStyle().name().toLowerCase());
        map.put("rope_frequency_divisors", model.weights().ropeFrequencyDivisors() != null);
        map.put("tied_classifier", config.tiedClassifier());
        map.put("tokenizer", model.tokenizer().getClass().getSimpleName());
        map.put("bos", special.bos());
        map.put("eos", special.eos());
        map.put("end_of_generation", special.endOfGeneration().stream().sorted().toList());
        map.put("kv_bytes_per_token_fp16", 2L * 2 * config.layers() * config.kvWidth());
        return map;
    }

    private static List<Map<String, Object>> tensorRows(GgufFile gguf) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (GgufTensorInfo info : gguf.tensors().values()) {
            Map<String, Object> row = Json.object();
            row.put("name", info.name());
            row.put("type", info.type().name());
            row.put("dimensions", info.dimensions());
            row.put("bytes", info.byteSize());
            rows.add(row);
        }
        return rows;
    }
}

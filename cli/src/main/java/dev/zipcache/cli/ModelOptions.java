package dev.zipcache.cli;

import dev.zipcache.engine.model.Model;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options that name a model, shared by every command that loads one. */
final class ModelOptions {

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "a GGUF file or a llama2.c checkpoint (.bin)")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "llama2.c tokenizer file (default: tok<vocab>.bin or tokenizer.bin beside the checkpoint)")
    Path tokenizer;

    @Option(names = "--no-mmap",
            description = "read the weights into memory instead of mapping the file: slower to load, and on some"
                    + " machines much faster to decode (as llama.cpp's --no-mmap)")
    boolean noMmap;

    Model load() {
        return Model.load(model, tokenizer, !noMmap);
    }
}

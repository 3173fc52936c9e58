package dev.zipcache.cli;

import dev.zipcache.engine.sampling.SamplingParameters;
import picocli.CommandLine.Option;


/** The sampling options of {@code generate} and {@code chat}, with llama.cpp's defaults. */
final class SamplingOptions {

    @Option(names = "--temperature", defaultValue = "0.8", paramLabel = "T",
            description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", paramLabel = "K", description = "0 = off (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "P", description = "1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05", paramLabel = "P", description = "0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", paramLabel = "X",
            description = "penalty for tokens among the last 64; 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--seed", paramLabel = "N", description = "random seed; the same seed repeats the same output")
    Long seed;

    /** The parameters, with a random seed when none was given; a value out of range is a usage error. */
    SamplingParameters parameters() {
        try {
            return new SamplingParameters(temperature, topK, topP, minP, repeatPenalty,
                    SamplingParameters.DEFAULT_REPETITION_WINDOW, SamplingParameters.seedOrRandom(seed));
        } catch (IllegalArgumentException bad) {
            throw new UsageException(bad.getMessage());
        }
    }
}

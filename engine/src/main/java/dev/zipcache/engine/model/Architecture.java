package dev.zipcache.engine.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The model architectures zipcache runs, by their GGUF {@code general.architecture} names. */
public enum Architecture {
    /** Llama 2, Llama 3.x, TinyLlama, Mistral: RoPE on adjacent pairs, no biases. */
    LLAMA("llama", RopeStyle.ADJACENT_PAIRS, false),
    /** Qwen2: biases on the Q, K and V projections and NeoX-style RoPE (rotating halves). */
    QWEN2("qwen2", RopeStyle.HALVES, true);

    private final String ggufName;
    private final RopeStyle ropeStyle;
    private final boolean attentionBias;

    Architecture(String ggufName, RopeStyle ropeStyle, boolean attentionBias) {
        this.ggufName = ggufName;
        this.ropeStyle = ropeStyle;
        this.attentionBias = attentionBias;
    }

    public String ggufName() {
        return ggufName;
    }

    public RopeStyle ropeStyle() {
        return ropeStyle;
    }

    /** Whether the Q, K and V projections carry biases. */
    public boolean attentionBias() {
        return attentionBias;
    }

    /**
     * The architecture GGUF calls {@code name}.
     *
     * @throws IllegalArgumentException listing the supported ones
     */
    public static Architecture fromGguf(String name) {
        for (Architecture architecture : values()) {
            if (architecture.ggufName.equals(name)) {
                return architecture;
            }
        }
        throw new IllegalArgumentException("model architecture '" + name + "' is not supported; supported: "
                + Arrays.stream(values()).map(Architecture::ggufName).collect(Collectors.joining(", ")));
    }
}

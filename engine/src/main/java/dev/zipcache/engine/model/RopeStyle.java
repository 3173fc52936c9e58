package dev.zipcache.engine.model;

/** Which elements of a head vector RoPE rotates together. */
public enum RopeStyle {
    /** Elements (2i, 2i+1): llama2.c, and GGUF Llama whose converter permuted Q and K (FORMATS.md §3). */
    ADJACENT_PAIRS,
    /** Elements (i, i + rotated/2): GPT-NeoX style, used by Qwen2. */
    HALVES
}

package dev.zipcache.engine.model;

/** The file formats {@link Model#load} reads. */
public enum ModelFormat {
    /** GGUF v2/v3 (llama.cpp). */
    GGUF,
    /** A llama2.c checkpoint (legacy version-0 header) with a llama2.c tokenizer file. */
    LLAMA2C
}

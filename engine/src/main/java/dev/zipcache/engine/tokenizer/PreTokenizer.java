package dev.zipcache.engine.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How a byte-level BPE vocabulary splits text into chunks before merging: BPE never merges across a chunk boundary.
 * GGUF names the scheme in {@code tokenizer.ggml.pre}; {@link #forName} maps that name to one of these.
 *
 * <p>The patterns are the ones of the models' HF {@code tokenizer.json} ({@code Split} pre-tokenizers), written for
 * {@link Pattern}, as llama.cpp's {@code llm_tokenizer_bpe} writes them for its own regex engine:
 * <ul>
 *   <li>{@code (?i:'s|'t|…)} contractions become explicit case classes ({@code '[sS]}), so that only ASCII letters
 *       fold, as in llama.cpp;</li>
 *   <li>{@code \s} is Unicode White_Space ({@link Pattern#UNICODE_CHARACTER_CLASS}), as in Rust's and Oniguruma's
 *       regexes; Java's default {@code \s} is ASCII only;</li>
 *   <li>{@code \p{L}} and {@code \p{N}} are Unicode general categories, and character classes match whole code points
 *       (surrogate pairs), as in the reference engines.</li>
 * </ul>
 */
public enum PreTokenizer {

    /**
     * Llama 3 (tiktoken's cl100k-style split): contractions in any case, letter runs with one leading non-letter,
     * numbers in groups of up to three digits, punctuation runs with their trailing newlines, newline runs, and
     * whitespace runs that leave their last space to the next word. Whole chunks found in the vocabulary skip merging
     * (HF's {@code ignore_merges}, llama.cpp's {@code tokenizer_ignore_merges}).
     */
    LLAMA3(true, "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
            + "|\\s*[\\r\\n]+"
            + "|\\s+(?!\\S)"
            + "|\\s+",
            "llama-bpe", "llama3", "llama-v3"),

    /** Qwen2: the Llama 3 split with every digit a chunk of its own, and no whole-chunk shortcut. */
    QWEN2(false, "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
            + "|\\s*[\\r\\n]+"
            + "|\\s+(?!\\S)"
            + "|\\s+",
            "qwen2"),

    /**
     * GPT-2: lower-case contractions, then letter, number and punctuation runs each with an optional leading space,
     * and whitespace runs that leave their last space to the next word.
     *
     * <p>{@code "default"} maps here too: it is what HF's ByteLevel pre-tokenizer applies when a tokenizer names no
     * pattern. llama.cpp's own {@code "default"} chains three further splits (punctuation, digit runs, groups of three
     * ASCII digits) that no current model relies on; a model that does would tokenize numbers differently here.
     */
    GPT2(false, "'s|'t|'re|'ve|'m|'ll|'d"
            + "| ?\\p{L}+"
            + "| ?\\p{N}+"
            + "| ?[^\\s\\p{L}\\p{N}]+"
            + "|\\s+(?!\\S)"
            + "|\\s+",
            "gpt2", "gpt-2", "default");

    private final boolean ignoresMerges;
    private final Pattern pattern;
    private final List<String> names;

    PreTokenizer(boolean ignoresMerges, String regex, String... names) {
        this.ignoresMerges = ignoresMerges;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.names = List.of(names);
    }

    /**
     * The pre-tokenizer that GGUF's {@code tokenizer.ggml.pre} value {@code name} selects (case-insensitive). A file
     * without the key should be read as {@code "default"}, as llama.cpp does.
     *
     * <p>An unknown name is an error rather than a fallback to some default split: a different split still produces
     * plausible-looking token ids, and the model then answers slightly worse with no visible cause. Failing names the
     * problem at load time instead.
     *
     * @throws IllegalArgumentException for a name none of these answers to; the message lists the supported names
     */
    public static PreTokenizer forName(String name) {
        String wanted = name.toLowerCase(Locale.ROOT).strip();
        for (PreTokenizer preTokenizer : values()) {
            if (preTokenizer.names.contains(wanted)) {
                return preTokenizer;
            }
        }
        throw new IllegalArgumentException("unsupported byte-level BPE pre-tokenizer '" + name
                + "' (tokenizer.ggml.pre); supported: " + supportedNames());
    }

    /** Every name {@link #forName} accepts, comma-separated. */
    public static String supportedNames() {
        return Arrays.stream(values()).flatMap(p -> p.names.stream()).collect(Collectors.joining(", "));
    }

    /** The GGUF names of this pre-tokenizer; the first is the canonical one. */
    public List<String> names() {
        return names;
    }

    /**
     * Whether a chunk that is itself a vocabulary token becomes that token without merging. The two differ where the
     * vocabulary holds tokens that its merge list cannot build (Llama 3 inherits such tokens from tiktoken).
     */
    public boolean ignoresMerges() {
        return ignoresMerges;
    }

    /**
     * Splits {@code text} into chunks; their concatenation is {@code text}. The pattern matches every character, but
     * any text between two matches would still become a chunk of its own, so that nothing is ever dropped.
     */
    public List<String> split(String text) {
        List<String> chunks = new ArrayList<>();
        Matcher matcher = pattern.matcher(text);
        int end = 0;
        while (matcher.find()) {
            if (matcher.start() > end) {
                chunks.add(text.substring(end, matcher.start()));
            }
            chunks.add(matcher.group());
            end = matcher.end();
        }
        if (end < text.length()) {
            chunks.add(text.substring(end));
        }
        return chunks;
    }
}

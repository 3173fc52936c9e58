package dev.zipcache.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Byte-level BPE, the tokenizer of GGUF files with {@code tokenizer.ggml.model = "gpt2"} (Llama 3, Qwen2, GPT-2;
 * FORMATS.md §4).
 *
 * <p>Encoding, as HF tokenizers and llama.cpp do it:
 * <ol>
 *   <li>with {@code parseSpecial}, occurrences of control and user-defined token texts (such as {@code <|eot_id|>})
 *       are cut out of the text, leftmost first and the longest one where several start at the same place, and become
 *       their tokens;</li>
 *   <li>the {@link PreTokenizer} splits each stretch of text between them into chunks;</li>
 *   <li>each chunk starts as its UTF-8 bytes, one token per byte, and the adjacent pair with the lowest merge rank is
 *       merged until no pair has a merge.</li>
 * </ol>
 * Merging keeps the chunk's symbols in a linked list and the candidate pairs in a heap ordered by rank, then position,
 * so a chunk of n bytes takes O(n log n) rather than the O(n²) of rescanning for the best pair after every merge.
 * Results for short chunks are cached, since words repeat.
 *
 * <p>Instances are immutable apart from that cache, which is synchronized: one tokenizer can serve many sessions.
 */
public final class BytePairTokenizer implements Tokenizer {

    private static final System.Logger LOG = System.getLogger(BytePairTokenizer.class.getName());

    /** Chunks up to this many chars are cached; longer ones are rare and would crowd out words. */
    private static final int CACHEABLE_CHUNK_LENGTH = 32;
    private static final int CACHE_CAPACITY = 16_384;

    private final String[] tokens;
    private final TokenType[] types;
    private final Map<String, Integer> idsByToken;
    /** The token of each single byte, or -1 where the vocabulary has none. */
    private final int[] byteTokens = new int[256];
    private final MergeTable merges;
    private final PreTokenizer preTokenizer;
    private final SpecialTokens specialTokens;
    /** Control and user-defined tokens by their first char, longest first, for {@code parseSpecial}. */
    private final SpecialTokenSplitter specialSplitter;
    private final Map<String, int[]> chunkCache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
            return size() > CACHE_CAPACITY;
        }
    };

    /**
     * A tokenizer over the vocabulary as GGUF stores it.
     *
     * @param tokens        {@code tokenizer.ggml.tokens}: normal tokens written in GPT-2's byte-to-character table
     *                      ({@code Ġ} for a space), control and user-defined tokens as plain text; the index is the id
     * @param types         {@code tokenizer.ggml.token_type}, one per token
     * @param merges        {@code tokenizer.ggml.merges}: {@code "left right"} in the same table, highest priority
     *                      first; a merge whose parts or result are not tokens is skipped (with a warning), since
     *                      it could never produce a token
     * @param preTokenizer  the split for {@code tokenizer.ggml.pre} ({@link PreTokenizer#forName})
     * @param specialTokens BOS, EOS and end-of-generation ids
     * @throws IllegalArgumentException when {@code tokens} and {@code types} differ in length, or a merge is not two
     *                                  space-separated parts
     */
    public BytePairTokenizer(String[] tokens, TokenType[] types, String[] merges, PreTokenizer preTokenizer,
                             SpecialTokens specialTokens) {
        if (tokens.length != types.length) {
            throw new IllegalArgumentException("tokenizer has " + tokens.length + " tokens but " + types.length
                    + " token types");
        }
        this.tokens = tokens.clone();
        this.types = types.clone();
        this.preTokenizer = Objects.requireNonNull(preTokenizer, "preTokenizer");
        this.specialTokens = Objects.requireNonNull(specialTokens, "specialTokens");
        this.idsByToken = HashMap.newHashMap(tokens.length);
        for (int id = tokens.length - 1; id >= 0; id--) {
            idsByToken.put(tokens[id], id); // the lowest id wins for a duplicate text
        }
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = idsByToken.getOrDefault(String.valueOf(ByteLevelAlphabet.characterOf(b)), -1);
        }
        this.merges = buildMergeTable(merges);
        this.specialSplitter = SpecialTokenSplitter.of(tokens, types);
    }

    private MergeTable buildMergeTable(String[] mergeLines) {
        MergeTable table = new MergeTable(mergeLines.length);
        int unusable = 0;
        for (int rank = 0; rank < mergeLines.length; rank++) {
            String merge = mergeLines[rank];
            int space = merge.indexOf(' ');
            if (space <= 0 || space == merge.length() - 1 || merge.indexOf(' ', space + 1) >= 0) {
                throw new IllegalArgumentException("merge " + rank + " is not 'left right': '" + merge + "'");
            }
            Integer left = idsByToken.get(merge.substring(0, space));
            Integer right = idsByToken.get(merge.substring(space + 1));
            Integer merged = idsByToken.get(merge.substring(0, space) + merge.substring(space + 1));
            if (left == null || right == null || merged == null) {
                unusable++;
                continue;
            }
            table.add(left, right, rank, merged);
        }
        if (unusable > 0) {
            LOG.log(System.Logger.Level.WARNING, "{0} of {1} BPE merges name tokens missing from the vocabulary; "
                    + "they are skipped", unusable, mergeLines.length);
        }
        return table;
    }


    @Override
    public int vocabularySize() {
        return tokens.length;
    }

    @Override
    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    /** The pre-tokenizer this vocabulary splits text with. */
    public PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException when the text holds a byte that no token covers (possible only in a
     *                                  vocabulary without all 256 single-byte tokens)
     */
    @Override
    public int[] encode(String text, boolean parseSpecial) {
        IdBuffer ids = new IdBuffer(text.length() / 3 + 4);
        for (SpecialTokenSplitter.Fragment fragment : specialSplitter.split(text, parseSpecial)) {
            if (fragment.isSpecial()) {
                ids.add(fragment.tokenId());
            } else {
                encodeOrdinaryText(fragment.text(), ids);
            }
        }
        return ids.toArray();
    }


    private void encodeOrdinaryText(String text, IdBuffer ids) {
        if (text.isEmpty()) {
            return;
        }
        for (String chunk : preTokenizer.split(text)) {
            if (chunk.length() > CACHEABLE_CHUNK_LENGTH) {
                ids.addAll(encodeChunk(chunk));
                continue;
            }
            int[] cached;
            synchronized (chunkCache) {
                cached = chunkCache.get(chunk);
            }
            if (cached == null) {
                cached = encodeChunk(chunk);
                synchronized (chunkCache) {
                    chunkCache.put(chunk, cached);
                }
            }
            ids.addAll(cached);
        }
    }

    /** One pre-tokenizer chunk to ids: byte tokens, merged by rank. */
    private int[] encodeChunk(String chunk) {
        byte[] bytes = ByteLevelAlphabet.utf8(chunk);
        if (preTokenizer.ignoresMerges() && bytes.length > 1) {
            Integer whole = idsByToken.get(ByteLevelAlphabet.encode(bytes, 0, bytes.length));
            if (whole != null && types[whole] == TokenType.NORMAL) {
                return new int[] {whole};
            }
        }
        int[] symbols = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            symbols[i] = byteTokens[bytes[i] & 0xFF];
            if (symbols[i] < 0) {
                throw new IllegalArgumentException(String.format(
                        "cannot encode '%s': byte 0x%02X has no token in this vocabulary", chunk, bytes[i] & 0xFF));
            }
        }
        return merge(symbols);
    }

    /**
     * Applies merges to {@code symbols} (token ids) lowest rank first, the leftmost pair first among equal ranks, as
     * HF tokenizers' {@code BPE::merge_word} and llama.cpp do.
     *
     * <p>The heap holds candidate pairs as {@code rank << 32 | leftPosition}, so natural {@code long} order is the
     * merge order. A merge changes its neighbours' pairs; rather than remove their stale entries, a popped entry is
     * checked against the current symbols and skipped if it no longer applies (the pair at a position is the same
     * pair exactly when its rank is unchanged, since rank identifies the pair).
     */
    private int[] merge(int[] symbols) {
        int count = symbols.length;
        if (count < 2) {
            return symbols;
        }
        int[] next = new int[count];
        int[] previous = new int[count];
        for (int i = 0; i < count; i++) {
            next[i] = i + 1 < count ? i + 1 : -1;
            previous[i] = i - 1;
        }
        LongHeap candidates = new LongHeap(count);
        for (int i = 0; i + 1 < count; i++) {
            offerPair(symbols, i, i + 1, candidates);
        }
        int remaining = count;
        while (!candidates.isEmpty()) {
            long candidate = candidates.poll();
            int rank = (int) (candidate >>> 32);
            int left = (int) candidate;
            int right = next[left];
            if (symbols[left] < 0 || right < 0 || merges.rank(symbols[left], symbols[right]) != rank) {
                continue; // stale: one side has been merged into something else since this pair was offered
            }
            symbols[left] = merges.mergedId(rank);
            symbols[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) {
                previous[next[right]] = left;
            }
            remaining--;
            if (previous[left] >= 0) {
                offerPair(symbols, previous[left], left, candidates);
            }
            if (next[left] >= 0) {
                offerPair(symbols, left, next[left], candidates);
            }
        }
        int[] ids = new int[remaining];
        for (int i = 0, out = 0; i >= 0; i = next[i]) {
            ids[out++] = symbols[i];
        }
        return ids;
    }

    private void offerPair(int[] symbols, int left, int right, LongHeap candidates) {
        int rank = merges.rank(symbols[left], symbols[right]);
        if (rank != MergeTable.NO_MERGE) {
            candidates.add((long) rank << 32 | left);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Normal tokens (and byte or undefined ones) are read back through GPT-2's byte table; user-defined tokens are
     * their text; control, unknown and unused tokens add nothing, as in llama.cpp's {@code token_to_piece} without
     * {@code special}.
     */
    @Override
    public byte[] tokenBytes(int id) {
        return switch (types[id]) {
            case NORMAL, BYTE, UNDEFINED -> ByteLevelAlphabet.decode(tokens[id]);
            case USER_DEFINED -> tokens[id].getBytes(StandardCharsets.UTF_8);
            case CONTROL, UNKNOWN, UNUSED -> new byte[0];
        };
    }

    @Override
    public String piece(int id) {
        return tokens[id];
    }

    @Override
    public TokenType type(int id) {
        return types[id];
    }

    /** Byte-level BPE encodes spaces as they are: there is no dummy prefix to drop. */
    @Override
    public boolean stripsLeadingSpace() {
        return false;
    }

    /** A growable {@code int[]}, to collect ids without boxing. */
    private static final class IdBuffer {
        private int[] ids;
        private int size;

        IdBuffer(int capacity) {
            ids = new int[capacity];
        }

        void add(int id) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, ids.length * 2);
            }
            ids[size++] = id;
        }

        void addAll(int[] more) {
            if (size + more.length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, size + more.length));
            }
            System.arraycopy(more, 0, ids, size, more.length);
            size += more.length;
        }

        int[] toArray() {
            return Arrays.copyOf(ids, size);
        }
    }

    /** A binary min-heap of {@code long}s: the merge candidates, without boxing. */
    private static final class LongHeap {
        private long[] heap;
        private int size;

        LongHeap(int capacity) {
            heap = new long[Math.max(capacity, 4)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void add(long value) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            int child = size++;
            while (child > 0) {
                int parent = (child - 1) >>> 1;
                if (heap[parent] <= value) {
                    break;
                }
                heap[child] = heap[parent];
                child = parent;
            }
            heap[child] = value;
        }

        long poll() {
            long top = heap[0];
            long last = heap[--size];
            int parent = 0;
            while (true) {
                int child = 2 * parent + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && heap[child + 1] < heap[child]) {
                    child++;
                }
                if (heap[child] >= last) {
                    break;
                }
                heap[parent] = heap[child];
                parent = child;
            }
            heap[parent] = last;
            return top;
        }
    }
}

package dev.zipcache.engine.gguf;

import dev.zipcache.engine.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF v2/v3 file, memory-mapped: the header and metadata are parsed, the tensor data stays in the mapping and is
 * handed out as slices. Every count and offset read from the file is checked against its size, so a truncated or
 * hostile file is an error, never an out-of-memory or a crash.
 */
public final class GgufFile {

    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    /** Data alignment when {@code general.alignment} is absent. */
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMENSIONS = 4;
    private static final int MAX_NESTING = 8;

    private final Path path;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final long alignment;
    private final MemorySegment data;

    private GgufFile(Path path, int version, GgufMetadata metadata, Map<String, GgufTensorInfo> tensors,
                     long alignment, MemorySegment data) {
        this.path = path;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.alignment = alignment;
        this.data = data;
    }

    /**
     * Maps and parses {@code path}. The mapping lives as long as {@code arena}.
     *
     * @throws GgufFormatException for a malformed or truncated file
     */
    public static GgufFile open(Path path, Arena arena) throws IOException {
        return open(path, arena, true);
    }

    /**
     * Maps or reads ({@link FileImage}) and parses {@code path}; the bytes live as long as {@code arena}.
     *
     * @param mapped true to map the file, false to read it into memory
     * @throws GgufFormatException for a malformed or truncated file
     */
    public static GgufFile open(Path path, Arena arena, boolean mapped) throws IOException {
        return parse(path, FileImage.of(path, arena, mapped));
    }

    /** Parses a GGUF image already in memory (tests, and files mapped by the caller). */
    public static GgufFile parse(Path path, MemorySegment file) {
        Reader reader = new Reader(file);
        if (file.byteSize() < 4 || reader.u32() != MAGIC) {
            throw new GgufFormatException("not a GGUF file (wrong magic)");
        }
        int version = (int) reader.u32();
        if (version != 2 && version != 3) {
            throw new GgufFormatException("GGUF version " + version + " is not supported (2 and 3 are)");
        }
        long tensorCount = reader.u64();
        long metadataCount = reader.u64();
        reader.requireCount(metadataCount, 12, "metadata entries");
        Map<String, GgufValue> entries = new LinkedHashMap<>();
        for (long i = 0; i < metadataCount; i++) {
            String key = reader.string();
            GgufValueType type = GgufValueType.byId((int) reader.u32());
            entries.put(key, new GgufValue(type, reader.value(type, 0)));
        }
        GgufMetadata metadata = new GgufMetadata(entries);
        long alignment = metadata.optionalInteger("general.alignment").orElse((long) DEFAULT_ALIGNMENT);
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw new GgufFormatException("general.alignment " + alignment + " is not a power of two");
        }

        reader.requireCount(tensorCount, 24, "tensor infos");
        Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo info = reader.tensorInfo();
            if (tensors.put(info.name(), info) != null) {
                throw new GgufFormatException("tensor '" + info.name() + "' appears twice");
            }
        }
        long dataStart = alignUp(reader.position, alignment);
        long dataSize = Math.max(0, file.byteSize() - dataStart);
        for (GgufTensorInfo info : tensors.values()) {
            if (info.offset() % alignment != 0) {
                throw new GgufFormatException("tensor '" + info.name() + "' is not aligned to " + alignment);
            }
            if (info.offset() < 0 || info.offset() + info.byteSize() > dataSize) {
                throw new GgufFormatException("tensor '" + info.name() + "' lies beyond the end of the file"
                        + " (truncated file?)");
            }
        }
        MemorySegment data = dataStart <= file.byteSize() ? file.asSlice(dataStart) : MemorySegment.NULL;
        return new GgufFile(path, version, metadata, tensors, alignment, data);
    }

    static long alignUp(long position, long alignment) {
        return (position + alignment - 1) / alignment * alignment;
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public long alignment() {
        return alignment;
    }

    /** Tensor infos by name, in file order. */
    public Map<String, GgufTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor's bytes, a slice of the mapping. */
    public MemorySegment tensorData(GgufTensorInfo info) {
        return data.asSlice(info.offset(), info.byteSize());
    }

    /** Little-endian cursor over the file with bounds checks that report truncation. */
    private static final class Reader {
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final MemorySegment file;
        private long position;

        Reader(MemorySegment file) {
            this.file = file;
        }

        private void need(long bytes) {
            if (bytes < 0 || position + bytes > file.byteSize()) {
                throw new GgufFormatException("file ends early at byte " + position + " (truncated file?)");
            }
        }

        /** Rejects a count whose elements could not possibly fit in the rest of the file. */
        void requireCount(long count, long minimumBytesEach, String what) {
            if (count < 0 || count > (file.byteSize() - position) / Math.max(1, minimumBytesEach)) {
                throw new GgufFormatException("the file claims " + Long.toUnsignedString(count) + " " + what
                        + ", more than it can hold (truncated or corrupt file?)");
            }
        }

        long u32() {
            need(4);
            long value = Integer.toUnsignedLong(file.get(U32, position));
            position += 4;
            return value;
        }

        long u64() {
            need(8);
            long value = file.get(U64, position);
            position += 8;
            return value;
        }

        String string() {
            long length = u64();
            need(length);
            if (length > Integer.MAX_VALUE - 16) {
                throw new GgufFormatException("string of " + length + " bytes is too long");
            }
            byte[] bytes = file.asSlice(position, length).toArray(ValueLayout.JAVA_BYTE);
            position += length;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException impossible) {
                throw new GgufFormatException("string is not UTF-8");
            }
        }

        Object value(GgufValueType type, int depth) {
            switch (type) {
                case UINT8 -> {
                    need(1);
                    return (long) Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, position++));
                }
                case INT8 -> {
                    need(1);
                    return (long) file.get(ValueLayout.JAVA_BYTE, position++);
                }
                case BOOL -> {
                    need(1);
                    return file.get(ValueLayout.JAVA_BYTE, position++) != 0;
                }
                case UINT16, INT16 -> {
                    need(2);
                    short raw = file.get(U16, position);
                    position += 2;
                    return type == GgufValueType.UINT16 ? (long) Short.toUnsignedInt(raw) : (long) raw;
                }
                case UINT32 -> {
                    return u32();
                }
                case INT32 -> {
                    return (long) (int) u32();
                }
                case UINT64, INT64 -> {
                    return u64();
                }
                case FLOAT32 -> {
                    need(4);
                    float value = file.get(F32, position);
                    position += 4;
                    return value;
                }
                case FLOAT64 -> {
                    need(8);
                    double value = file.get(F64, position);
                    position += 8;
                    return value;
                }
                case STRING -> {
                    return string();
                }
                case ARRAY -> {
                    if (depth >= MAX_NESTING) {
                        throw new GgufFormatException("arrays nested more than " + MAX_NESTING + " deep");
                    }
                    GgufValueType elementType = GgufValueType.byId((int) u32());
                    long count = u64();
                    requireCount(count, elementType.minimumBytes(), "array elements");
                    List<Object> elements = new ArrayList<>((int) count);
                    for (long i = 0; i < count; i++) {
                        elements.add(value(elementType, depth + 1));
                    }
                    return new GgufValue.GgufArray(elementType, elements);
                }
                default -> throw new AssertionError(type);
            }
        }

        GgufTensorInfo tensorInfo() {
            String name = string();
            long dimensionCount = u32();
            if (dimensionCount == 0 || dimensionCount > MAX_DIMENSIONS) {
                throw new GgufFormatException("tensor '" + name + "' has " + dimensionCount + " dimensions (1–"
                        + MAX_DIMENSIONS + " allowed)");
            }
            long[] dimensions = new long[(int) dimensionCount];
            for (int d = 0; d < dimensions.length; d++) {
                dimensions[d] = u64();
                if (dimensions[d] <= 0 || dimensions[d] > (1L << 40)) {
                    throw new GgufFormatException("tensor '" + name + "' has an invalid size " + dimensions[d]);
                }
            }
            int typeId = (int) u32();
            GgmlType type;
            try {
                type = GgmlType.byId(typeId);
            } catch (IllegalArgumentException unknown) {
                throw new GgufFormatException("tensor '" + name + "' has unknown ggml type id " + typeId);
            }
            long offset = u64();
            GgufTensorInfo info = new GgufTensorInfo(name, dimensions, type, offset);
            try {
                info.byteSize();
            } catch (ArithmeticException | IllegalArgumentException bad) {
                throw new GgufFormatException("tensor '" + name + "': " + bad.getMessage());
            }
            return info;
        }
    }
}

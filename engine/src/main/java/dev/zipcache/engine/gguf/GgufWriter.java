package dev.zipcache.engine.gguf;

import dev.zipcache.engine.tensor.GgmlType;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file: metadata in insertion order, then tensor infos, then the aligned data section. The file is
 * written to a temporary sibling and moved into place, so a failed write never leaves a half file under the name.
 */
public final class GgufWriter {

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final int alignment;

    public GgufWriter() {
        this(GgufFile.DEFAULT_ALIGNMENT);
    }

    public GgufWriter(int alignment) {
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            metadata.put("general.alignment", GgufValue.uint32(alignment));
        }
    }

    /** Adds or replaces a metadata entry. */
    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a tensor.
     *
     * @param dimensions innermost first (GGUF order)
     * @param bytes      the encoded data, exactly {@code type.bytesFor(elements)} bytes
     */
    public GgufWriter tensor(String name, GgmlType type, long[] dimensions, byte[] bytes) {
        GgufTensorInfo probe = new GgufTensorInfo(name, dimensions, type, 0);
        if (probe.byteSize() != bytes.length) {
            throw new IllegalArgumentException("tensor '" + name + "' of " + type + " needs " + probe.byteSize()
                    + " bytes, got " + bytes.length);
        }
        tensors.add(new PendingTensor(name, type, dimensions.clone(), bytes));
        return this;
    }

    /** Writes the file. */
    public void write(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path temporary = Files.createTempFile(absolute.getParent(), absolute.getFileName().toString(), ".part");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temporary), 1 << 20)) {
                writeTo(out);
            }
            readableByAll(temporary);
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** Temporary files are created private; a model file is meant to be shared like any other (rw-r--r--). */
    private static void readableByAll(Path file) throws IOException {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private void writeTo(OutputStream out) throws IOException {
        Encoder header = new Encoder();
        header.u32(GgufFile.MAGIC).u32(3).u64(tensors.size()).u64(metadata.size());
        metadata.forEach((key, value) -> {
            header.string(key).u32(value.type().id());
            header.value(value.type(), value.value());
        });
        long offset = 0;
        for (PendingTensor tensor : tensors) {
            header.string(tensor.name).u32(tensor.dimensions.length);
            for (long dimension : tensor.dimensions) {
                header.u64(dimension);
            }
            header.u32(tensor.type.id()).u64(offset);
            offset = GgufFile.alignUp(offset + tensor.bytes.length, alignment);
        }
        byte[] headerBytes = header.toByteArray();
        out.write(headerBytes);
        long written = headerBytes.length;
        written = pad(out, written);
        for (PendingTensor tensor : tensors) {
            out.write(tensor.bytes);
            written = pad(out, written + tensor.bytes.length);
        }
    }

    private long pad(OutputStream out, long position) throws IOException {
        long aligned = GgufFile.alignUp(position, alignment);
        out.write(new byte[(int) (aligned - position)]);
        return aligned;
    }

    private record PendingTensor(String name, GgmlType type, long[] dimensions, byte[] bytes) {
    }

    /** Little-endian encoding of header values into a growing buffer. */
    private static final class Encoder {
        private ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(int bytes) {
            if (buffer.remaining() < bytes) {
                ByteBuffer larger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes))
                        .order(ByteOrder.LITTLE_ENDIAN);
                larger.put(buffer.flip());
                buffer = larger;
            }
        }

        Encoder u32(long value) {
            ensure(4);
            buffer.putInt((int) value);
            return this;
        }

        Encoder u64(long value) {
            ensure(8);
            buffer.putLong(value);
            return this;
        }

        Encoder string(String value) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            ensure(bytes.length);
            buffer.put(bytes);
            return this;
        }

        void value(GgufValueType type, Object value) {
            switch (type) {
                case UINT8, INT8 -> {
                    ensure(1);
                    buffer.put((byte) (long) (Long) value);
                }
                case BOOL -> {
                    ensure(1);
                    buffer.put((byte) ((Boolean) value ? 1 : 0));
                }
                case UINT16, INT16 -> {
                    ensure(2);
                    buffer.putShort((short) (long) (Long) value);
                }
                case UINT32, INT32 -> u32((Long) value);
                case UINT64, INT64 -> u64((Long) value);
                case FLOAT32 -> {
                    ensure(4);
                    buffer.putFloat(((Number) value).floatValue());
                }
                case FLOAT64 -> {
                    ensure(8);
                    buffer.putDouble(((Number) value).doubleValue());
                }
                case STRING -> string((String) value);
                case ARRAY -> {
                    GgufValue.GgufArray array = (GgufValue.GgufArray) value;
                    u32(array.elementType().id()).u64(array.elements().size());
                    for (Object element : array.elements()) {
                        value(array.elementType(), element);
                    }
                }
                default -> throw new AssertionError(type);
            }
        }

        byte[] toByteArray() {
            byte[] bytes = new byte[buffer.position()];
            buffer.flip().get(bytes);
            return bytes;
        }
    }
}

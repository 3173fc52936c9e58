package dev.zipcache.cuda;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;

import java.util.TreeMap;

/**
 * The {@code kivi} KV cache in device memory: KIVI's store as the CPU's {@code KiviKvCache} keeps it (ZIPCACHE.md
 * §10.1), with the same quantization, the same code layout and the same cadence, so that both compute alike. Per
 * layer: keys of positions below {@link #quantizedKeys()} packed per channel in blocks of {@code group} tokens, values
 * below {@link #quantizedValues()} packed per token, and every later position in fp16 in a {@link DeviceWindow}.
 * Prompts stay in fp16 until they end; then, and after every decode step's attention, whole {@code residual} windows
 * of keys and every value older than the newest {@code residual} are quantized by kernels. {@link CudaForwardPass}
 * appends and attends with kernels; the packed arrays are sized for the whole context at creation.
 */
final class CudaKiviCache extends DeviceKvCache {

    private final Device device;
    private final KiviLayout layout;
    private final DevicePointer keyCodes;
    private final DevicePointer keyMinimums;
    private final DevicePointer keySteps;
    private final DevicePointer valueCodes;
    private final DevicePointer valueMinimums;
    private final DevicePointer valueSteps;
    private final DeviceWindow window;
    private final long codeLayerBytes;
    private final long keyParameterLayerBytes;
    private final long valueParameterLayerBytes;
    private int quantizedKeys;
    private int quantizedValues;
    private boolean closed;

    CudaKiviCache(Device device, KvCacheGeometry geometry, KiviLayout layout) {
        super("kivi", geometry);
        this.device = device;
        this.layout = layout;
        int layers = geometry.layers();
        long maxTokens = geometry.maxTokens();
        this.codeLayerBytes = maxTokens * layout.rowBytes();
        this.keyParameterLayerBytes = Math.ceilDiv(maxTokens, layout.tokenGroup()) * layout.width() * Short.BYTES;
        this.valueParameterLayerBytes = maxTokens * layout.runs() * Short.BYTES;
        DevicePointer[] allocated = new DevicePointer[6];
        long[] sizes = {codeLayerBytes, keyParameterLayerBytes, keyParameterLayerBytes, codeLayerBytes,
                valueParameterLayerBytes, valueParameterLayerBytes};
        DeviceWindow made = null;
        try {
            for (int i = 0; i < sizes.length; i++) {
                allocated[i] = device.allocate(sizes[i] * layers);
            }
            made = new DeviceWindow(device, geometry, Math.min(geometry.maxTokens(),
                    layout.residual() + DeviceWindow.SLACK));
        } catch (RuntimeException failure) {
            for (DevicePointer pointer : allocated) {
                if (pointer != null) {
                    device.free(pointer);
                }
            }
            throw failure;
        }
        this.keyCodes = allocated[0];
        this.keyMinimums = allocated[1];
        this.keySteps = allocated[2];
        this.valueCodes = allocated[3];
        this.valueMinimums = allocated[4];
        this.valueSteps = allocated[5];
        this.window = made;
    }

    Device device() {
        return device;
    }

    KiviLayout layout() {
        return layout;
    }

    DeviceWindow window() {
        return window;
    }

    /** Layer {@code layer}'s packed keys. */
    PackedRows keys(int layer) {
        return new PackedRows(keyCodes.plus(layer * codeLayerBytes), keyMinimums.plus(layer * keyParameterLayerBytes),
                keySteps.plus(layer * keyParameterLayerBytes));
    }

    /** Layer {@code layer}'s packed values. */
    PackedRows values(int layer) {
        return new PackedRows(valueCodes.plus(layer * codeLayerBytes),
                valueMinimums.plus(layer * valueParameterLayerBytes), valueSteps.plus(layer * valueParameterLayerBytes));
    }

    /** Positions whose keys are packed (every layer holds the same). */
    int quantizedKeys() {
        return quantizedKeys;
    }

    /** Positions whose values are packed. */
    int quantizedValues() {
        return quantizedValues;
    }

    /**
     * Whether every position is in the window from slot 0 on, as in a plain fp16 cache of the window's capacity: a
     * prompt on an empty cache, which the fp16 attention kernels then read.
     */
    boolean holdsOnlyFullPrecision() {
        return quantizedKeys == 0 && quantizedValues == 0;
    }

    /** Bytes of device memory this cache holds. */
    long allocatedBytes() {
        return (2 * codeLayerBytes + 2 * keyParameterLayerBytes + 2 * valueParameterLayerBytes) * geometry.layers()
                + window.allocatedBytes();
    }

    /**
     * Makes room for {@code count} more tokens before a forward call: they fit the context, and the window holds them
     * with every position not yet quantized.
     *
     * @throws IllegalStateException when they would exceed the geometry's tokens
     */
    void reserve(int count) {
        checkOpen();
        checkRoom(count);
        window.holdFor(Math.min(quantizedKeys, quantizedValues), length, count);
    }

    /** KIVI's code quantizes after a decode step's attention (the CPU cache's default timing). */
    @Override
    public void commit(int count, AttentionKind kind) {
        checkOpen();
        checkRoom(count);
        length += count;
        if (kind == AttentionKind.DECODE) {
            compress();
        }
    }

    /** KIVI's prefill rule; then the window, grown for the prompt, shrinks back to what decoding needs. */
    @Override
    public void endPrefill() {
        checkOpen();
        compress();
        window.shrinkAfterPrompt(Math.min(quantizedKeys, quantizedValues), length, layout.residual());
    }

    /**
     * KiviKvCache.compress: keys, every whole {@code residual} window of the fp16 ones, in blocks of {@code group};
     * values, all but the newest {@code residual}.
     */
    private void compress() {
        int keyTokens = (length - quantizedKeys) / layout.residual() * layout.residual();
        int valueTokens = length - quantizedValues - layout.residual();
        for (int layer = 0; layer < geometry.layers(); layer++) {
            if (keyTokens > 0) {
                device.launch(KernelLaunches.kiviPackKeys(window.keys(layer), window.capacity(), layout,
                        quantizedKeys, keyTokens / layout.tokenGroup(), keys(layer)));
            }
            if (valueTokens > 0) {
                device.launch(KernelLaunches.kiviPackValues(window.values(layer), window.capacity(), layout,
                        quantizedValues, valueTokens, values(layer)));
            }
        }
        quantizedKeys += Math.max(0, keyTokens);
        quantizedValues += Math.max(0, valueTokens);
    }

    /** As the CPU cache: keeping everything or emptying works, anything else is refused (positions are packed). */
    @Override
    public boolean truncate(int newLength) {
        checkOpen();
        if (newLength == length) {
            return true;
        }
        if (newLength != 0) {
            return false;
        }
        length = 0;
        quantizedKeys = 0;
        quantizedValues = 0;
        return true;
    }

    /** KiviKvCache.stats: the bytes it would hold, tokens per bit width, and the paper-style ratio. */
    @Override
    public KvCacheStats stats() {
        checkOpen();
        long bytes = geometry.layers() * (layout.keyBytes(quantizedKeys) + layout.valueBytes(quantizedValues)
                + layout.windowBytes(length - quantizedKeys) + layout.windowBytes(length - quantizedValues));
        long quantized = ((long) quantizedKeys + quantizedValues) / 2;
        TreeMap<Integer, Long> perBits = new TreeMap<>();
        perBits.put(layout.bits(), quantized);
        if (length - quantized > 0) {
            perBits.put(16, length - quantized);
        }
        double keyBits = quantizedKeys * (layout.bits() + 32.0 / layout.tokenGroup())
                + (length - (double) quantizedKeys) * 16;
        double valueBits = quantizedValues * (layout.bits() + 32.0 / layout.valueRun())
                + (length - (double) quantizedValues) * 16;
        double paper = length == 0 ? 16.0 / layout.bits() : 2.0 * length * 16 / (keyBits + valueBits);
        return new KvCacheStats(length, bytes, geometry.fp16Bytes(length), perBits, paper);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (DevicePointer pointer : new DevicePointer[] {keyCodes, keyMinimums, keySteps, valueCodes,
                    valueMinimums, valueSteps}) {
                device.free(pointer);
            }
            window.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
    }
}

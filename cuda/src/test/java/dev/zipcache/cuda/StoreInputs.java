package dev.zipcache.cuda;

import dev.zipcache.spi.KvCacheGeometry;
import java.util.Random;

/** Inputs for the device-store tests ({@link KiviStoreTest}, {@link ZipStoreTest}), fed as the forward pass feeds them. */
final class StoreInputs {

    /**
     * Geometries with awkward widths: three KV heads of 12 in GQA pairs (a last code plane partly empty, runs that
     * straddle heads), and one head of 10.
     */
    static final KvCacheGeometry THREE_HEADS = new KvCacheGeometry(2, 3, 6, 12, 160);
    static final KvCacheGeometry ONE_HEAD = new KvCacheGeometry(1, 1, 2, 10, 160);

    private StoreInputs() {
    }

    /** Appends through the kernel the forward pass uses, into the window's ring. */
    static void append(EmulatedDevice device, DeviceWindow window, KvCacheGeometry geometry, int layer, float[] keys,
                       float[] values, int position, int rows) {
        DevicePointer keyBuffer = device.allocate((long) keys.length * Float.BYTES);
        DevicePointer valueBuffer = device.allocate((long) values.length * Float.BYTES);
        device.upload(keyBuffer, keys, keys.length);
        device.upload(valueBuffer, values, values.length);
        device.launch(KernelLaunches.kvAppend(keyBuffer, valueBuffer, rows, geometry.kvHeads(),
                geometry.headDimension(), window.capacity(), position, window.keys(layer), window.values(layer)));
        device.free(keyBuffer);
        device.free(valueBuffer);
    }

    /** Gaussian tokens with channels of different magnitudes, as keys have (what channelwise quantization is for). */
    static float[] tokens(Random random, int count, int width) {
        float[] values = new float[count * width];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * (1 + i % width % 5));
        }
        return values;
    }

    /** The tokens as the caches store them before quantizing: rounded to fp16. */
    static float[] halves(float[] values) {
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        }
        return rounded;
    }
}

package dev.zipcache.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/** Reproducible random matrices and inputs for the kernel tests. */
public final class RandomWeights {

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {
    }

    /** Gaussian values with standard deviation {@code sigma}. */
    public static float[] gaussian(Random random, int count, double sigma) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextGaussian() * sigma);
        }
        return values;
    }

    /**
     * The bytes of a random {@code rows × columns} matrix of {@code type}: quantized Gaussian weights where
     * {@link WeightQuantizer} can encode the type; otherwise (K-quants) random codes with modest, finite fp16
     * super-block scales written over the random bytes.
     */
    public static byte[] matrixBytes(Random random, GgmlType type, int rows, int columns) {
        if (WeightQuantizer.supports(type)) {
            return WeightQuantizer.quantize(type, gaussian(random, rows * columns, 0.05));
        }
        byte[] bytes = new byte[Math.toIntExact(type.bytesFor((long) rows * columns))];
        random.nextBytes(bytes);
        MemorySegment segment = MemorySegment.ofArray(bytes);
        for (long block = 0; block < bytes.length / type.bytesPerBlock(); block++) {
            long blockStart = block * type.bytesPerBlock();
            switch (type) {
                case Q4_K -> {
                    setHalf(segment, blockStart, 0.001f + random.nextFloat() * 0.01f);
                    setHalf(segment, blockStart + 2, random.nextFloat() * 0.01f);
                }
                case Q6_K -> setHalf(segment, blockStart + 208, 0.0001f + random.nextFloat() * 0.001f);
                default -> throw new IllegalArgumentException("no random generator for " + type);
            }
        }
        return bytes;
    }

    static void setHalf(MemorySegment segment, long offset, float value) {
        segment.set(SHORT_LE, offset, Float.floatToFloat16(value));
    }
}

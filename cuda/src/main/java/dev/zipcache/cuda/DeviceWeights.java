package dev.zipcache.cuda;

import dev.zipcache.engine.model.LayerWeights;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelWeights;
import dev.zipcache.engine.tensor.WeightMatrix;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's weights in device memory, uploaded once in their GGUF types (repacked as {@link WeightPacking} says) and
 * shared by every session of the model; norm weights and biases as floats. A tied classifier is the embedding table's
 * upload, not a second copy.
 */
final class DeviceWeights implements AutoCloseable {

    /** The weights of one transformer block on the device; biases are null unless the architecture has them. */
    record Layer(DevicePointer attentionNorm, DeviceMatrix query, DeviceMatrix key, DeviceMatrix value,
                 DeviceMatrix output, DevicePointer queryBias, DevicePointer keyBias, DevicePointer valueBias,
                 DevicePointer feedForwardNorm, DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {
    }

    private final Device device;
    private final List<DevicePointer> allocations = new ArrayList<>();
    private final Map<WeightMatrix, DeviceMatrix> uploaded = new IdentityHashMap<>();
    private final DeviceMatrix tokenEmbedding;
    private final List<Layer> layers;
    private final DevicePointer outputNorm;
    private final DeviceMatrix classifier;
    private long bytes;

    /**
     * Uploads every weight.
     *
     * @throws IllegalArgumentException when a matrix has a type without CUDA kernels (nothing stays allocated)
     */
    DeviceWeights(Device device, ModelConfig config, ModelWeights weights) {
        this.device = device;
        try {
            tokenEmbedding = upload(weights.tokenEmbedding());
            List<Layer> uploadedLayers = new ArrayList<>();
            for (LayerWeights layer : weights.layers()) {
                uploadedLayers.add(new Layer(upload(layer.attentionNorm()), upload(layer.queryProjection()),
                        upload(layer.keyProjection()), upload(layer.valueProjection()),
                        upload(layer.outputProjection()), uploadOrNull(layer.queryBias()),
                        uploadOrNull(layer.keyBias()), uploadOrNull(layer.valueBias()),
                        upload(layer.feedForwardNorm()), upload(layer.gateProjection()), upload(layer.upProjection()),
                        upload(layer.downProjection())));
            }
            layers = List.copyOf(uploadedLayers);
            outputNorm = upload(weights.outputNorm());
            classifier = upload(weights.classifier());
        } catch (RuntimeException failure) {
            close();
            throw failure;
        }
        if (layers.size() != config.layers()) {
            close();
            throw new IllegalArgumentException("the model has " + layers.size() + " layers, its config says "
                    + config.layers());
        }
    }

    DeviceMatrix tokenEmbedding() {
        return tokenEmbedding;
    }

    List<Layer> layers() {
        return layers;
    }

    DevicePointer outputNorm() {
        return outputNorm;
    }

    DeviceMatrix classifier() {
        return classifier;
    }

    /** Bytes uploaded. */
    long bytes() {
        return bytes;
    }

    private DeviceMatrix upload(WeightMatrix matrix) {
        DeviceMatrix done = uploaded.get(matrix);
        if (done != null) {
            return done;
        }
        WeightPacking packing = WeightPacking.of(matrix);
        DevicePointer data = copy(packing.data());
        DevicePointer scales = packing.scales() == null ? DevicePointer.NULL : copy(packing.scales());
        DeviceMatrix result = new DeviceMatrix(matrix.type(), matrix.rows(), matrix.columns(), data, scales);
        uploaded.put(matrix, result);
        return result;
    }

    private DevicePointer copy(ByteBuffer source) {
        DevicePointer target = allocate(source.remaining());
        device.upload(target, source.duplicate());
        return target;
    }

    private DevicePointer upload(float[] values) {
        DevicePointer target = allocate((long) values.length * Float.BYTES);
        device.upload(target, values, values.length);
        return target;
    }

    private DevicePointer uploadOrNull(float[] values) {
        return values == null ? null : upload(values);
    }

    private DevicePointer allocate(long size) {
        DevicePointer pointer = device.allocate(size);
        allocations.add(pointer);
        bytes += size;
        return pointer;
    }

    @Override
    public void close() {
        for (DevicePointer pointer : allocations) {
            device.free(pointer);
        }
        allocations.clear();
    }
}

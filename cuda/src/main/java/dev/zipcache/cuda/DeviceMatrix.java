package dev.zipcache.cuda;

import dev.zipcache.engine.tensor.GgmlType;

/**
 * A weight matrix in device memory, laid out as {@link WeightPacking} describes.
 *
 * @param scales the block scales, or {@link DevicePointer#NULL} for an element type
 */
record DeviceMatrix(GgmlType type, int rows, int columns, DevicePointer data, DevicePointer scales) {
}

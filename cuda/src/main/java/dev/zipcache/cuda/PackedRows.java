package dev.zipcache.cuda;

/**
 * One layer's quantized keys or values in device memory (the layout of the {@code kivi_*} and {@code *_zip} kernels in
 * {@code kernels.cu}): packed code rows, one per token, and the fp16 minimums and steps of their groups.
 */
record PackedRows(DevicePointer codes, DevicePointer minimums, DevicePointer steps) {
}

package dev.zipcache.cuda;

/**
 * One layer of ZipCache's device store as the {@code *_zip} kernels read it ({@code ZipStore} in {@code kernels.cu}):
 * the fp16 window's rings, the salient (high-bit) and regular (low-bit) groups of packed keys and values, the CST
 * channel scales both value groups share, and how many rows the groups hold.
 *
 * @param storedTokens rows of both groups together: every compressed token, so the window holds positions from it on
 */
record ZipStore(DevicePointer keyWindow, DevicePointer valueWindow, int capacity, PackedRows salientKeys,
                PackedRows regularKeys, PackedRows salientValues, PackedRows regularValues,
                DevicePointer channelScales, int salientRows, int storedTokens) {
}

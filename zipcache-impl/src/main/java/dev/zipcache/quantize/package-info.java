/**
 * KV-cache quantization schemes (ZIPCACHE.md §2–§4, §10.1): the asymmetric min–max primitive, bit packing, and the
 * {@link dev.zipcache.spi.KvQuantizer} providers {@code tokenwise}, {@code channelwise}, {@code groupwise} and
 * {@code cst}, all producing a {@link dev.zipcache.quantize.MinMaxQuantizedBlock}.
 *
 * <p><b>Storage layout.</b> A block's columns are cut into segments of equal width (a cache asks for one KV head's
 * channels, {@link dev.zipcache.spi.KvQuantizer#quantize(float[], int, int, int, int, float[],
 * dev.zipcache.spi.SpecOptions, int) quantize}'s slice width; a block quantized without one is a single segment), and
 * each segment's rows are stored together: segment {@code s} of row {@code r} starts at byte
 * {@code (s · rows + r) · segmentBytes}, with {@code segmentBytes = ceil(segment · bits / 8)}. Decode attention reads
 * one KV head's channels of every row, so each head streams one contiguous region; with the codes of all heads in
 * each row it read a strided part of every row, and heads sharing bytes in different planes fetched them again.
 * Segments narrower than the block are a multiple of 8 columns, whole bytes at every bit count, so a block holds
 * exactly {@code ceil(width · bits / 8)} bytes of codes per row either way.
 *
 * <p>Within a segment's row, 2-, 4- and 8-bit codes use the reference's planar layout (ZIPCACHE.md §2) over the
 * segment's columns: with {@code planes = 8 / bits} and {@code planeWidth = segmentBytes}, the segment's column
 * {@code c} sits in byte {@code c mod planeWidth} at bit {@code bits · (c / planeWidth)}. Consecutive columns of a
 * plane are consecutive bytes at one bit position, which is what lets the fused kernels load a run of codes with one
 * vector load and one shift. 3-bit codes (no reference layout, and no default configuration uses them) are a plain
 * least-significant-bit-first bit stream per segment row, read by scalar code only.
 *
 * <p>Parameters ({@code min}, {@code step}) and channel scales are rounded to and stored as IEEE fp16, as the
 * official code keeps them in the activation dtype (§2).
 */
package dev.zipcache.quantize;

/**
 * KV-cache quantization schemes (ZIPCACHE.md §2–§4, §10.1): the asymmetric min–max primitive, bit packing, and the
 * {@link dev.zipcache.spi.KvQuantizer} providers {@code tokenwise}, {@code channelwise}, {@code groupwise} and
 * {@code cst}, all producing a {@link dev.zipcache.quantize.MinMaxQuantizedBlock}.
 *
 * <p><b>Storage layout.</b> Every row (token) starts on a byte boundary and holds exactly
 * {@code ceil(width · bits / 8)} bytes of codes, so a row's column slice is addressable without bit offsets from
 * earlier rows. Within a row, 2-, 4- and 8-bit codes use the reference's planar layout (ZIPCACHE.md §2) over the
 * row's {@code width} columns: with {@code planes = 8 / bits} and {@code planeWidth = ceil(width / planes)}, column
 * {@code c} sits in byte {@code c mod planeWidth} at bit {@code bits · (c / planeWidth)}. Consecutive columns of a
 * plane are consecutive bytes at one bit position, which is what lets the fused kernels load a run of codes with one
 * vector load and one shift. 3-bit codes (no reference layout, and no default configuration uses them) are a plain
 * least-significant-bit-first bit stream per row, read by scalar code only.
 *
 * <p>Parameters ({@code min}, {@code step}) and channel scales are rounded to and stored as IEEE fp16, as the
 * official code keeps them in the activation dtype (§2).
 */
package dev.zipcache.quantize;

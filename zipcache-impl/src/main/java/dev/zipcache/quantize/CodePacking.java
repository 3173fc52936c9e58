package dev.zipcache.quantize;

import java.util.Objects;

/**
 * Packs codes with their true bit count: a row of {@code count} codes takes exactly {@code ceil(count · bits / 8)}
 * bytes.
 *
 * <p>2-, 4- and 8-bit rows use the reference's planar layout (ZIPCACHE.md §2, functions
 * {@code transfer_8bit_to_4bit_batchwise} and {@code transfer_8bit_to_2bit_batchwise}), generalized to counts that
 * the number of planes does not divide: with {@code planeWidth = ceil(count · bits / 8)}, code {@code c} goes to byte
 * {@code c mod planeWidth} at bit {@code bits · (c / planeWidth)}; the last plane is then partly empty. For counts the
 * planes divide this is exactly the reference: 4-bit byte {@code i = q[i] + 16·q[i + N/2]}, 2-bit byte
 * {@code i = q[i] | q[i+N/4]<<2 | q[i+N/2]<<4 | q[i+3N/4]<<6}.
 *
 * <p>3-bit rows, which have no reference layout, are a bit stream: code {@code c} at bits {@code 3c .. 3c + 2}, least
 * significant first.
 */
public final class CodePacking {

    private static final int SEQUENTIAL_BITS = 3;

    private CodePacking() {
    }

    /** Bytes of one packed row of {@code count} codes: {@code ceil(count · bits / 8)}. */
    public static int rowBytes(int count, int bits) {
        MinMaxQuantization.checkBits(bits);
        return (int) Math.ceilDiv((long) count * bits, Byte.SIZE);
    }

    /** Whether {@code bits} uses the planar layout (2, 4, 8) rather than the 3-bit stream. */
    public static boolean isPlanar(int bits) {
        return MinMaxQuantization.checkBits(bits) != SEQUENTIAL_BITS;
    }

    /** Packs {@code codes} as one row in the planar layout (bits 2, 4 or 8) or the 3-bit stream. */
    public static byte[] pack(int[] codes, int bits) {
        byte[] packed = new byte[rowBytes(codes.length, bits)];
        packRow(codes, 0, codes.length, bits, packed, 0);
        return packed;
    }

    /**
     * Packs {@code codes} in the reference's planar layout; only for 2, 4 and 8 bits.
     *
     * @throws IllegalArgumentException for 3 bits, which have no planar layout
     */
    public static byte[] packPlanar(int[] codes, int bits) {
        if (!isPlanar(bits)) {
            throw new IllegalArgumentException("the planar layout exists for 2, 4 and 8 bits, not " + bits);
        }
        return pack(codes, bits);
    }

    /** The {@code count} codes of one packed row, as written by {@link #pack}. */
    public static int[] unpack(byte[] packed, int count, int bits) {
        Objects.checkFromIndexSize(0, rowBytes(count, bits), packed.length);
        int[] codes = new int[count];
        for (int c = 0; c < count; c++) {
            codes[c] = code(packed, 0, count, bits, c);
        }
        return codes;
    }

    /**
     * Packs {@code count} codes from {@code codes[offset]} into {@code rowBytes(count, bits)} bytes of {@code out}
     * from {@code outOffset}, which must be zero for the 3-bit stream (its codes are or-ed in).
     *
     * @throws IllegalArgumentException when a code does not fit {@code bits}
     */
    static void packRow(int[] codes, int offset, int count, int bits, byte[] out, int outOffset) {
        if (bits == SEQUENTIAL_BITS) {
            for (int c = 0; c < count; c++) {
                int bit = c * SEQUENTIAL_BITS;
                int index = outOffset + (bit >>> 3);
                int shifted = checkedCode(codes, offset, c, bits) << (bit & 7);
                out[index] |= (byte) shifted;
                if ((shifted >>> Byte.SIZE) != 0) {
                    out[index + 1] |= (byte) (shifted >>> Byte.SIZE);
                }
            }
            return;
        }
        int planeWidth = rowBytes(count, bits);
        // Leading bytes a vector at a time, then byte by byte over every plane's codes for that byte.
        for (int j = EncodeKernels.packPlanes(codes, offset, count, bits, out, outOffset); j < planeWidth; j++) {
            int packed = 0;
            for (int plane = 0, c = j; c < count; plane++, c += planeWidth) {
                packed |= checkedCode(codes, offset, c, bits) << (plane * bits);
            }
            out[outOffset + j] = (byte) packed;
        }
    }

    private static int checkedCode(int[] codes, int offset, int c, int bits) {
        int code = codes[offset + c];
        int maxCode = MinMaxQuantization.maxCode(bits);
        if (code < 0 || code > maxCode) {
            throw new IllegalArgumentException("code " + code + " at index " + c + " does not fit " + bits
                    + " bits (0.." + maxCode + ")");
        }
        return code;
    }

    /** Code {@code column} of a row of {@code count} codes packed from {@code packed[rowOffset]}. */
    static int code(byte[] packed, int rowOffset, int count, int bits, int column) {
        return codeAt(packed, rowOffset, rowBytes(count, bits), bits, column);
    }

    /** As {@link #code}, with the row's {@code planeWidth = rowBytes(count, bits)} already known. */
    static int codeAt(byte[] packed, int rowOffset, int planeWidth, int bits, int column) {
        if (bits == SEQUENTIAL_BITS) {
            int bit = column * SEQUENTIAL_BITS;
            int index = rowOffset + (bit >>> 3);
            int shift = bit & 7;
            int window = Byte.toUnsignedInt(packed[index]) >>> shift;
            if (shift > Byte.SIZE - SEQUENTIAL_BITS) {
                window |= Byte.toUnsignedInt(packed[index + 1]) << (Byte.SIZE - shift);
            }
            return window & 7;
        }
        int plane = column / planeWidth;
        return Byte.toUnsignedInt(packed[rowOffset + column - plane * planeWidth]) >>> (plane * bits)
                & MinMaxQuantization.maxCode(bits);
    }
}

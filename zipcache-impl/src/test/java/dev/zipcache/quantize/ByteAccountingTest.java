package dev.zipcache.quantize;

import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bytes()} counts packed codes at their true bit count plus every fp16 parameter and scale at 2 bytes. */
class ByteAccountingTest {

    private static final int ROWS = 10;
    private static final int WIDTH = 32;

    private final float[] values = QuantizerCase.values(new Random(3), ROWS, WIDTH);

    @Test
    void tokenwiseFourBitCountsCodesAndOnePairPerRow() {
        MinMaxQuantizedBlock block = new TokenwiseQuantizer().quantize(values, 0, ROWS, WIDTH, 4, null, null);
        assertThat(block.bytes()).isEqualTo(10 * 32 * 4 / 8 + 10 * 2 * 2);
        assertThat(block.bytesExcludingChannelScales()).isEqualTo(block.bytes());
    }

    @Test
    void channelwiseTwoBitCountsOnePairPerColumn() {
        MinMaxQuantizedBlock block = new ChannelwiseQuantizer().quantize(values, 0, ROWS, WIDTH, 2, null, null);
        assertThat(block.bytes()).isEqualTo(10 * 32 * 2 / 8 + 32 * 2 * 2);
    }

    @Test
    void groupwiseCountsOnePairPerRowAndGroupIncludingAShortLastGroup() {
        var quantizers = Providers.quantizers();
        var quantizer = quantizers.find("groupwise");
        assertThat(quantizer.quantize(values, 0, ROWS, WIDTH, 4, null, quantizers.resolve(Spec.parse("groupwise:group=8")))
                .bytes()).isEqualTo(10 * 32 * 4 / 8 + 10 * 4 * 2 * 2);
        // 32 columns in groups of 12: 12 + 12 + 8, three pairs per row.
        assertThat(quantizer.quantize(values, 0, ROWS, WIDTH, 4, null, quantizers.resolve(Spec.parse("groupwise:group=12")))
                .bytes()).isEqualTo(10 * 32 * 4 / 8 + 10 * 3 * 2 * 2);
    }

    @Test
    void cstCountsItsChannelScalesSeparatelyForSharing() {
        MinMaxQuantizedBlock block =
                new ChannelSeparableTokenwiseQuantizer().quantize(values, 0, ROWS, WIDTH, 2, null, null);
        assertThat(block.bytesExcludingChannelScales()).isEqualTo(10 * 32 * 2 / 8 + 10 * 2 * 2);
        assertThat(block.channelScaleBytes()).isEqualTo(32 * 2);
        assertThat(block.bytes()).isEqualTo(block.bytesExcludingChannelScales() + block.channelScaleBytes());
    }

    @Test
    void threeBitRowsRoundUpToWholeBytesPerRow() {
        MinMaxQuantizedBlock block = new TokenwiseQuantizer().quantize(values, 0, 3, 10, 3, null, null);
        assertThat(block.bytes()).isEqualTo(3 * 4 + 3 * 2 * 2); // ceil(10 · 3 / 8) = 4 bytes per row
    }
}

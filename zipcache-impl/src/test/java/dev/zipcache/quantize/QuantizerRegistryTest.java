package dev.zipcache.quantize;

import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.NamedProvider;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The four schemes are found by name, and bad requests fail with messages that say what is allowed. */
class QuantizerRegistryTest {

    private final Providers<KvQuantizer> quantizers = Providers.quantizers();
    private final float[] values = new float[4 * 8];

    @Test
    void findsAllFourSchemesByName() {
        assertThat(quantizers.all()).extracting(NamedProvider::name)
                .contains("channelwise", "cst", "groupwise", "tokenwise");
        assertThat(quantizers.find("cst")).isInstanceOf(ChannelSeparableTokenwiseQuantizer.class);
        assertThat(quantizers.resolve(Spec.parse("groupwise")).values()).containsEntry("group", "32");
        assertThat(quantizers.resolve(Spec.parse("cst")).values()).containsEntry("normalizer", "sqrt-max-abs");
    }

    @Test
    void rejectsAnUnknownOption() {
        assertThatThrownBy(() -> quantizers.resolve(Spec.parse("groupwise:size=4")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no option 'size'").hasMessageContaining("group");
        SpecOptions unknown = new SpecOptions("tokenwise", Map.of("group", "4"));
        assertThatThrownBy(() -> quantizers.find("tokenwise").quantize(values, 0, 4, 8, 4, null, unknown))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'tokenwise' has no option 'group'").hasMessageContaining("it takes none");
    }

    @Test
    void rejectsBadBits() {
        assertThatThrownBy(() -> quantizers.find("tokenwise").quantize(values, 0, 4, 8, 5, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bits must be 2, 3, 4 or 8, got 5");
    }

    @Test
    void rejectsABadGroup() {
        for (String group : new String[]{"0", "-3", "eight"}) {
            SpecOptions options = quantizers.resolve(Spec.parse("groupwise:group=" + group));
            assertThatThrownBy(() -> quantizers.find("groupwise").quantize(values, 0, 4, 8, 4, null, options))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("option 'group' must be an integer in [1, ")
                    .hasMessageContaining("got '" + group + "'");
        }
    }

    @Test
    void rejectsAnUnknownNormalizer() {
        SpecOptions options = quantizers.resolve(Spec.parse("cst:normalizer=mean-abs"));
        assertThatThrownBy(() -> quantizers.find("cst").quantize(values, 0, 4, 8, 2, null, options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cst: option 'normalizer' must be one of sqrt-max-abs, max-abs, got 'mean-abs'");
    }

    @Test
    void rejectsChannelScalesWhereTheyCannotApply() {
        assertThatThrownBy(() -> quantizers.find("channelwise").quantize(values, 0, 4, 8, 2, new float[8], null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes no channel scales");
        assertThatThrownBy(() -> quantizers.find("cst").quantize(values, 0, 4, 8, 2, new float[7], null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("expected 8 channel scales (one per column), got 7");
        float[] negative = new float[8];
        negative[3] = -1f;
        assertThatThrownBy(() -> quantizers.find("cst").quantize(values, 0, 4, 8, 2, negative, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("channel scale 3 is -1.0");
    }

    @Test
    void rejectsValuesBeyondFp16() {
        float[] huge = values.clone();
        huge[0] = 1e6f;
        assertThatThrownBy(() -> quantizers.find("tokenwise").quantize(huge, 0, 4, 8, 4, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fp16");
    }

    @Test
    void cstGuardsAnAllZeroColumn() {
        float[] withZeroColumn = QuantizerCase.values(new Random(9), 4, 8);
        for (int row = 0; row < 4; row++) {
            withZeroColumn[row * 8 + 2] = 0f;
        }
        MinMaxQuantizedBlock block = (MinMaxQuantizedBlock) quantizers.find("cst")
                .quantize(withZeroColumn, 0, 4, 8, 4, null, null);
        assertThat(block.channelScale(2)).isEqualTo(1f);
        float[] row = new float[8];
        for (int r = 0; r < 4; r++) {
            block.dequantize(r, 0, row, 0, 8);
            assertThat(row).doesNotContain(Float.NaN);
            assertThat(Math.abs(row[2])).isLessThanOrEqualTo(block.parameters(r, 2).step());
        }
    }

    @Test
    void nonCstSchemesApplyChannelScalesToo() {
        float[] scaled = QuantizerCase.values(new Random(11), 3, 8);
        float[] scales = {1, 2, 4, 0.5f, 1, 1, 8, 3};
        MinMaxQuantizedBlock block = (MinMaxQuantizedBlock) quantizers.find("tokenwise")
                .quantize(scaled, 0, 3, 8, 8, scales, null);
        assertThat(block.hasChannelScales()).isTrue();
        assertThat(block.channelScale(6)).isEqualTo(8f);
        float[] row = new float[8];
        block.dequantize(1, 0, row, 0, 8);
        for (int c = 0; c < 8; c++) {
            assertThat(row[c]).isCloseTo(scaled[8 + c], within(0.05f * scales[c]));
        }
    }
}

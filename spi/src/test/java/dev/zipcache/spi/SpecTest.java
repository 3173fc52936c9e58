package dev.zipcache.spi;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The spec-string syntax {@code NAME[:key=value,...]} and typed option readers. */
class SpecTest {

    @Test
    void parsesNameAndOptionsInOrder() {
        Spec spec = Spec.parse(" kivi:bits=2, group=32,residual=128 ");
        assertThat(spec.name()).isEqualTo("kivi");
        assertThat(spec.options()).containsExactly(Map.entry("bits", "2"), Map.entry("group", "32"),
                Map.entry("residual", "128"));
        assertThat(spec).hasToString("kivi:bits=2,group=32,residual=128");
        assertThat(Spec.parse("fp16").options()).isEmpty();
    }

    @Test
    void rejectsMalformedSpecsWithTheOffendingPart() {
        assertThatThrownBy(() -> Spec.parse("")).hasMessageContaining("empty spec");
        assertThatThrownBy(() -> Spec.parse(":bits=2")).hasMessageContaining("has no name");
        assertThatThrownBy(() -> Spec.parse("kivi:bits")).hasMessageContaining("'bits' is not key=value");
        assertThatThrownBy(() -> Spec.parse("kivi:bits=2,bits=3")).hasMessageContaining("given twice");
        assertThatThrownBy(() -> Spec.parse("kivi:")).hasMessageContaining("is not key=value");
    }

    @Test
    void typedOptionsNameTheOptionAndRange() {
        SpecOptions options = new SpecOptions("kivi", Map.of("bits", "9", "ratio", "0.5", "word", "x"));
        assertThat(options.decimal("ratio", 0, 1)).isEqualTo(0.5);
        assertThatThrownBy(() -> options.integer("bits", 2, 8))
                .hasMessage("kivi: option 'bits' must be an integer in [2, 8], got '9'");
        assertThatThrownBy(() -> options.decimal("word", 0, 1)).hasMessageContaining("option 'word'");
        assertThatThrownBy(() -> options.string("absent")).hasMessageContaining("no option 'absent'");
    }

    @Test
    void geometryDerivesWidthsAndReferenceSize() {
        KvCacheGeometry geometry = new KvCacheGeometry(5, 4, 8, 8, 512);
        assertThat(geometry.groupSize()).isEqualTo(2);
        assertThat(geometry.kvWidth()).isEqualTo(32);
        assertThat(geometry.fp16Bytes(10)).isEqualTo(10L * 5 * 2 * 32 * 2);
        assertThatThrownBy(() -> new KvCacheGeometry(1, 3, 8, 8, 1)).hasMessageContaining("multiple");
    }
}

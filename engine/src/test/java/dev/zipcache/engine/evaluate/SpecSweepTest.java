package dev.zipcache.engine.evaluate;

import dev.zipcache.spi.Spec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Expanding a sweep spec into the configurations it lists. */
class SpecSweepTest {

    private static List<String> expanded(String text) {
        return SpecSweep.expand(text).stream().map(Spec::toString).toList();
    }

    @Test
    void aPlainSpecIsOneConfiguration() {
        assertThat(expanded("fp16")).containsExactly("fp16");
        assertThat(expanded(" kivi:bits=2,residual=128 ")).containsExactly("kivi:bits=2,residual=128");
        assertThat(SpecSweep.expand("zipcache:salient-ratio=0.7,saliency=normalized"))
                .containsExactly(Spec.parse("zipcache:salient-ratio=0.7,saliency=normalized"));
    }

    @Test
    void aValueListGivesOneConfigurationPerValueAndValuesMayHoldDots() {
        assertThat(expanded("zipcache:salient-ratio=0.5,0.6,0.7")).containsExactly(
                "zipcache:salient-ratio=0.5", "zipcache:salient-ratio=0.6", "zipcache:salient-ratio=0.7");
        assertThat(expanded("kivi:bits=2,4,group=32")).containsExactly("kivi:bits=2,group=32", "kivi:bits=4,group=32");
    }

    @Test
    void twoListsGiveTheirCartesianProductFirstOptionSlowest() {
        assertThat(expanded("kivi:bits=2,4,group=32,64,residual=128")).containsExactly(
                "kivi:bits=2,group=32,residual=128", "kivi:bits=2,group=64,residual=128",
                "kivi:bits=4,group=32,residual=128", "kivi:bits=4,group=64,residual=128");
    }

    @Test
    void severalSpecsAreConcatenatedAndARepeatedConfigurationIsKeptOnce() {
        assertThat(SpecSweep.expandAll(List.of("fp16", "kivi:bits=2,4", "kivi:bits=4", "fp16")).stream()
                .map(Spec::toString)).containsExactly("fp16", "kivi:bits=2", "kivi:bits=4");
    }

    @Test
    void malformedSweepsAreRejectedWithTheReason() {
        assertThatThrownBy(() -> SpecSweep.expand("")).hasMessageContaining("empty spec");
        assertThatThrownBy(() -> SpecSweep.expand(":bits=2")).hasMessageContaining("no name");
        assertThatThrownBy(() -> SpecSweep.expand("kivi:2,4")).hasMessageContaining("'2' is not key=value");
        assertThatThrownBy(() -> SpecSweep.expand("kivi:")).hasMessageContaining("is not key=value");
        assertThatThrownBy(() -> SpecSweep.expand("kivi:bits=2,,4")).hasMessageContaining("empty value");
        assertThatThrownBy(() -> SpecSweep.expand("kivi:bits=")).hasMessageContaining("empty value");
        assertThatThrownBy(() -> SpecSweep.expand("kivi:=2")).hasMessageContaining("no key");
        assertThatThrownBy(() -> SpecSweep.expand("kivi:bits=2,bits=4")).hasMessageContaining("given twice");
        assertThatThrownBy(() -> SpecSweep.expand("kivi:bits=2,2")).hasMessageContaining("listed twice");
        assertThatThrownBy(() -> SpecSweep.expand("fp16,kivi")).hasMessageContaining("cannot be a list");
        assertThatThrownBy(() -> SpecSweep.expandAll(List.of())).hasMessageContaining("nothing to sweep");
    }
}

package dev.zipcache.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vector width: preferred by default, clamped to what the kernels support, overridable by property. */
class VectorShapesTest {

    @Test
    void propertyOverridesThePreferredWidth() {
        assertThat(VectorShapes.choose("128", FloatVector.SPECIES_512)).isEqualTo(FloatVector.SPECIES_128);
        assertThat(VectorShapes.choose("256", FloatVector.SPECIES_128)).isEqualTo(FloatVector.SPECIES_256);
        assertThat(VectorShapes.choose(" 512 ", FloatVector.SPECIES_128)).isEqualTo(FloatVector.SPECIES_512);
    }

    @Test
    void unsetPropertyTakesThePreferredWidthWithinLimits() {
        assertThat(VectorShapes.choose(null, FloatVector.SPECIES_256)).isEqualTo(FloatVector.SPECIES_256);
        assertThat(VectorShapes.choose("", FloatVector.SPECIES_512)).isEqualTo(FloatVector.SPECIES_512);
        assertThat(VectorShapes.choose(null, FloatVector.SPECIES_64)).isEqualTo(FloatVector.SPECIES_128);
    }

    @Test
    void rejectsOtherWidthsNamingTheProperty() {
        assertThatThrownBy(() -> VectorShapes.choose("1024", FloatVector.SPECIES_512))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(VectorShapes.BITS_PROPERTY)
                .hasMessageContaining("1024");
    }

    @Test
    void codeVectorsFeedWholeFloatVectors() {
        assertThat(VectorShapes.CODE_LANES % VectorShapes.FLOAT_LANES).isZero();
        assertThat(16 % VectorShapes.CODE_LANES).as("code vectors never straddle a 16-element group").isZero();
    }
}

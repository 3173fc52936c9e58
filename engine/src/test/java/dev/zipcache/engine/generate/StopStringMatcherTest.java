package dev.zipcache.engine.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Streaming never emits any part of a stop string. */
class StopStringMatcherTest {

    @Test
    void holdsBackAPossibleStartAndCutsAtTheMatch() {
        StopStringMatcher matcher = new StopStringMatcher(List.of("</end>"));
        assertThat(matcher.accept("hello <")).isEqualTo("hello ");
        assertThat(matcher.accept("/en")).isEmpty();
        assertThat(matcher.accept("d> tail")).isEmpty();
        assertThat(matcher.stopped()).isTrue();
    }

    @Test
    void releasesHeldTextThatTurnsOutNotToBeAStop() {
        StopStringMatcher matcher = new StopStringMatcher(List.of("STOP"));
        assertThat(matcher.accept("ST")).isEmpty();
        assertThat(matcher.accept("ART")).isEqualTo("START");
        assertThat(matcher.accept("S")).isEmpty();
        assertThat(matcher.flush()).isEqualTo("S");
        assertThat(matcher.stopped()).isFalse();
    }

    @Test
    void earliestOfSeveralStopsWins() {
        StopStringMatcher matcher = new StopStringMatcher(List.of("bb", "a"));
        assertThat(matcher.accept("xxbbya")).isEqualTo("xx");
    }
}

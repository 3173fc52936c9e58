package dev.zipcache.engine.generate;

import java.util.List;

/**
 * Finds stop strings in streamed text and holds back the tail that could still become one, so that no part of a
 * stop string is ever emitted.
 */
final class StopStringMatcher {

    private final List<String> stopStrings;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopStringMatcher(List<String> stopStrings) {
        this.stopStrings = stopStrings;
    }

    /** Adds decoded text and returns what is safe to emit now. */
    String accept(String text) {
        if (stopped) {
            return "";
        }
        pending.append(text);
        int earliest = -1;
        for (String stop : stopStrings) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (earliest < 0 || at < earliest)) {
                earliest = at;
            }
        }
        if (earliest >= 0) {
            stopped = true;
            String safe = pending.substring(0, earliest);
            pending.setLength(0);
            return safe;
        }
        int hold = longestSuffixThatStartsAStop();
        String safe = pending.substring(0, pending.length() - hold);
        pending.delete(0, pending.length() - hold);
        return safe;
    }

    /** Whether a stop string was found. */
    boolean stopped() {
        return stopped;
    }

    /** What was held back, for the end of generation. */
    String flush() {
        String rest = stopped ? "" : pending.toString();
        pending.setLength(0);
        return rest;
    }

    private int longestSuffixThatStartsAStop() {
        int longest = 0;
        for (String stop : stopStrings) {
            for (int length = Math.min(stop.length() - 1, pending.length()); length > longest; length--) {
                if (pending.toString().regionMatches(pending.length() - length, stop, 0, length)) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}

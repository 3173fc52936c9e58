package dev.zipcache.cli;

import java.io.Console;
import java.io.PrintStream;

/**
 * A one-line progress bar on stderr, redrawn with a carriage return, for a person watching a long command: it draws
 * nothing when stderr is not a terminal (a pipe, a file, a test), and ends its line when closed.
 */
final class TerminalProgress implements AutoCloseable {

    private static final int WIDTH = 30;

    private final PrintStream terminal;
    private int lastLength;

    private TerminalProgress(PrintStream terminal) {
        this.terminal = terminal;
    }

    /** A bar on stderr, or a silent one when there is no terminal to draw on. */
    static TerminalProgress onStderr() {
        Console console = System.console();
        return new TerminalProgress(console != null && console.isTerminal() ? System.err : null);
    }

    /** Shows {@code done} of {@code total} with a description after the bar. */
    void show(long done, long total, String detail) {
        if (terminal == null || total <= 0) {
            return;
        }
        int filled = (int) Math.min(WIDTH, WIDTH * done / total);
        String line = "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + detail;
        // Blank out the tail of a longer previous line.
        terminal.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        terminal.flush();
        lastLength = line.length();
    }

    @Override
    public void close() {
        if (terminal != null && lastLength > 0) {
            terminal.println();
        }
    }
}

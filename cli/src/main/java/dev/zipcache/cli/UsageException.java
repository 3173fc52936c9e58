package dev.zipcache.cli;

/** A bad option value found after parsing (an unknown cache spec, say): exit code 2. */
final class UsageException extends RuntimeException {

    UsageException(String message) {
        super(message);
    }
}

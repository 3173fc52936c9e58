package dev.zipcache.engine.compute;

/**
 * A backend's device cannot be used here: no driver, no device, or a device the backend does not support. The
 * message says what is missing and that {@code --device cpu} works without it.
 */
public class DeviceUnavailableException extends RuntimeException {

    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public DeviceUnavailableException(String message) {
        super(message);
    }
}

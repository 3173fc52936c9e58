package dev.zipcache.spi;

/**
 * One documented option of a named provider, as shown by {@code zipcache caches}.
 *
 * @param key           the option's name in a spec string ({@code bits} in {@code kivi:bits=2})
 * @param defaultValue  the value used when the spec omits the option
 * @param description   one line that says what the option changes
 */
public record OptionDescriptor(String key, String defaultValue, String description) {
}

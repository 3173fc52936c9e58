package dev.zipcache.spi;

import java.util.List;

/** Something found by name through {@link java.util.ServiceLoader}: a cache, a quantizer, a saliency policy. */
public interface NamedProvider {

    /** The name used in spec strings; lower case, unique among providers of the same kind. */
    String name();

    /** One line describing what it is. */
    String description();

    /** Every option it accepts, with defaults. */
    List<OptionDescriptor> options();
}

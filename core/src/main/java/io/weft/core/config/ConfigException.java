package io.weft.core.config;

/** A configuration the user wrote is wrong; the message names the field and what is wrong with it. */
public class ConfigException extends RuntimeException {
    private final String field;

    public ConfigException(String field, String problem) {
        super(field == null ? problem : field + ": " + problem);
        this.field = field;
    }

    /** The JSON path of the offending field, e.g. {@code Backend.VNI}; null when the whole document is wrong. */
    public String field() {
        return field;
    }
}

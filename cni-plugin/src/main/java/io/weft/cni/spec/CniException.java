package io.weft.cni.spec;

/**
 * A failure reported to the runtime as the CNI error object: {@code {"code":..,"msg":..,"details":..}} on
 * stdout and exit status 1.
 */
public final class CniException extends RuntimeException {
    /** Codes from the CNI specification (1.1, "Error" section); 999 is what the reference plugins use for the rest. */
    public static final int INCOMPATIBLE_VERSION = 1;
    public static final int UNSUPPORTED_FIELD = 2;
    public static final int UNKNOWN_CONTAINER = 3;
    public static final int INVALID_ENV = 4;
    public static final int IO_FAILURE = 5;
    public static final int DECODE = 6;
    public static final int INVALID_CONFIG = 7;
    public static final int TRY_AGAIN = 11;
    public static final int UNAVAILABLE = 50;
    public static final int LIMITED_CONNECTIVITY = 51;
    public static final int INTERNAL = 999;

    private final int code;
    private final String details;

    public CniException(int code, String msg) {
        this(code, msg, null);
    }

    public CniException(int code, String msg, String details) {
        super(msg);
        this.code = code;
        this.details = details;
    }

    public int code() {
        return code;
    }

    public String details() {
        return details;
    }

    public String toJson(String cniVersion) {
        JsonOut o = new JsonOut();
        o.beginObject();
        if (cniVersion != null) o.field("cniVersion", cniVersion);
        o.field("code", code);
        o.field("msg", getMessage() == null ? "" : getMessage());
        if (details != null && !details.isEmpty()) o.field("details", details);
        o.endObject();
        return o.toString();
    }
}

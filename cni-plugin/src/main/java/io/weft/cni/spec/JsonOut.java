package io.weft.cni.spec;

import java.util.List;
import java.util.Map;

/**
 * A small compact JSON writer (no spaces, names in the order written); {@link #toString()} returns the text.
 * Strings are escaped as RFC 8259 requires: quote, backslash and control characters.
 */
public final class JsonOut {
    private final StringBuilder b = new StringBuilder(512);
    /** Whether the next value or name in the current container needs a comma first. */
    private boolean comma;

    public JsonOut beginObject() {
        sep();
        b.append('{');
        comma = false;
        return this;
    }

    public JsonOut endObject() {
        b.append('}');
        comma = true;
        return this;
    }

    public JsonOut beginArray(String name) {
        name(name);
        b.append('[');
        comma = false;
        return this;
    }

    public JsonOut beginArray() {
        sep();
        b.append('[');
        comma = false;
        return this;
    }

    public JsonOut endArray() {
        b.append(']');
        comma = true;
        return this;
    }

    public JsonOut beginObject(String name) {
        name(name);
        b.append('{');
        comma = false;
        return this;
    }

    public JsonOut field(String name, String v) {
        name(name);
        if (v == null) b.append("null");
        else quote(v);
        comma = true;
        return this;
    }

    public JsonOut field(String name, long v) {
        name(name);
        b.append(v);
        comma = true;
        return this;
    }

    public JsonOut field(String name, boolean v) {
        name(name);
        b.append(v);
        comma = true;
        return this;
    }

    public JsonOut value(String v) {
        sep();
        if (v == null) b.append("null");
        else quote(v);
        comma = true;
        return this;
    }

    /** Writes a value parsed by {@link Json} back out unchanged. */
    public JsonOut field(String name, Object v) {
        name(name);
        writeValue(v);
        comma = true;
        return this;
    }

    public JsonOut anyValue(Object v) {
        sep();
        writeValue(v);
        comma = true;
        return this;
    }

    private void sep() {
        if (comma) b.append(',');
    }

    private void name(String name) {
        sep();
        quote(name);
        b.append(':');
    }

    // if/else rather than a pattern switch: a type switch bootstraps method handles, milliseconds in a cold JVM
    private void writeValue(Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            quote(s);
        } else if (v instanceof Boolean x) {
            b.append(x.booleanValue());
        } else if (v instanceof Long l) {
            b.append(l.longValue());
        } else if (v instanceof Integer n) {
            b.append(n.intValue());
        } else if (v instanceof Double d) {
            double x = d;
            // JSON has no NaN or infinity; they cannot come from Json.parse, written as strings like jackson's default
            if (Double.isNaN(x) || Double.isInfinite(x)) quote(d.toString());
            else b.append(x);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(String.valueOf(e.getKey()));
                b.append(':');
                writeValue(e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            boolean first = true;
            for (Object o : l) {
                if (!first) b.append(',');
                first = false;
                writeValue(o);
            }
            b.append(']');
        } else {
            quote(v.toString());
        }
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private void quote(String s) {
        b.append('"');
        int from = 0;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c != '"' && c != '\\' && c >= 0x20) continue;
            b.append(s, from, k);
            from = k + 1;
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        b.append(s, from, s.length()).append('"');
    }

    @Override
    public String toString() {
        return b.toString();
    }
}

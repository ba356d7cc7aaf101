package io.weft.cni.spec;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** A small writer over jackson-core's generator; {@link #toString()} closes it and returns the text. */
public final class JsonOut {
    private final StringWriter out = new StringWriter(512);
    private final JsonGenerator g;

    public JsonOut() {
        try {
            g = Json.FACTORY.createGenerator(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface Io {
        void run() throws IOException;
    }

    private JsonOut io(Io r) {
        try {
            r.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public JsonOut beginObject() {
        return io(g::writeStartObject);
    }

    public JsonOut endObject() {
        return io(g::writeEndObject);
    }

    public JsonOut beginArray(String name) {
        return io(() -> {
            g.writeFieldName(name);
            g.writeStartArray();
        });
    }

    public JsonOut beginArray() {
        return io(g::writeStartArray);
    }

    public JsonOut endArray() {
        return io(g::writeEndArray);
    }

    public JsonOut beginObject(String name) {
        return io(() -> {
            g.writeFieldName(name);
            g.writeStartObject();
        });
    }

    public JsonOut field(String name, String v) {
        return io(() -> g.writeStringField(name, v));
    }

    public JsonOut field(String name, long v) {
        return io(() -> g.writeNumberField(name, v));
    }

    public JsonOut field(String name, boolean v) {
        return io(() -> g.writeBooleanField(name, v));
    }

    public JsonOut value(String v) {
        return io(() -> g.writeString(v));
    }

    /** Writes a value parsed by {@link Json} back out unchanged. */
    public JsonOut field(String name, Object v) {
        return io(() -> {
            g.writeFieldName(name);
            writeValue(v);
        });
    }

    public JsonOut anyValue(Object v) {
        return io(() -> writeValue(v));
    }

    // if/else rather than a pattern switch: a type switch bootstraps method handles, milliseconds in a cold JVM
    private void writeValue(Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Integer i) {
            g.writeNumber(i);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                writeValue(e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) writeValue(o);
            g.writeEndArray();
        } else {
            g.writeString(v.toString());
        }
    }

    @Override
    public String toString() {
        try {
            g.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}

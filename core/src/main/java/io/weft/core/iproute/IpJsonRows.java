package io.weft.core.iproute;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Walks iproute2's JSON array of entries ({@code ip -j route show}, {@code neigh show}, {@code bridge -j fdb show})
 * one entry at a time without building a tree of it: each entry hands over only the fields asked for, as text, and
 * the strings of its string arrays (flags, state). A node's full kernel check reads thousands of entries per table,
 * and a tree per entry (a map, a node per value) is most of what such a check allocates; nested objects and arrays of
 * objects (a route's metrics) are skipped.
 */
final class IpJsonRows {
    private static final JsonFactory JSON = new JsonFactory();

    /** One entry: the value of each field asked for, null when it is absent (or JSON null). */
    static final class Row {
        private final List<String> fields;
        private final String[] values;
        private final List<List<String>> arrays = new ArrayList<>();

        private Row(List<String> fields) {
            this.fields = fields;
            this.values = new String[fields.size()];
            for (int i = 0; i < fields.size(); i++) arrays.add(new ArrayList<>(2));
        }

        /** The field's text (a number as iproute2 printed it), or {@code otherwise} when the entry has none. */
        String text(String field, String otherwise) {
            String v = values[index(field)];
            return v != null ? v : otherwise;
        }

        /** Whether the field is an array of strings holding {@code value}. */
        boolean has(String field, String value) {
            return arrays.get(index(field)).contains(value);
        }

        /** The strings of the field's array, in order (empty when the entry has none). */
        List<String> strings(String field) {
            return List.copyOf(arrays.get(index(field)));
        }

        private int index(String field) {
            int i = fields.indexOf(field);
            if (i < 0) throw new IllegalArgumentException("field " + field + " was not asked for");
            return i;
        }

        private void clear() {
            Arrays.fill(values, null);
            for (List<String> a : arrays) a.clear();
        }
    }

    private IpJsonRows() {}

    /**
     * Hands each entry of {@code json} (an array of objects; blank is none) to {@code each}, reusing one {@link Row}:
     * {@code each} must not keep it. IllegalArgumentException when the text is not such JSON.
     */
    static void forEach(String json, List<String> fields, Consumer<Row> each) {
        if (json == null || json.isBlank()) return;
        Row row = new Row(List.copyOf(fields));
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken t = p.nextToken();
            if (t == null) return;
            if (t != JsonToken.START_ARRAY) throw new IllegalArgumentException("unreadable iproute2 JSON: not an array");
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t == null) throw new IllegalArgumentException("unreadable iproute2 JSON: it ends inside the array");
                if (t != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    continue;
                }
                row.clear();
                readObject(p, row);
                each.accept(row);
            }
        } catch (IOException e) { // Jackson's parse errors; a String has no I/O of its own
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("unreadable iproute2 JSON: " + why, e);
        }
    }

    /** Reads one object's fields into {@code row}; the parser stands on its START_OBJECT and ends on its END_OBJECT. */
    private static void readObject(JsonParser p, Row row) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            int i = row.fields.indexOf(p.currentName());
            JsonToken v = p.nextToken();
            if (i < 0) {
                p.skipChildren();
            } else if (v == JsonToken.START_ARRAY) {
                while ((v = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (v == null) throw new IllegalArgumentException("unreadable iproute2 JSON: it ends inside an array");
                    if (v.isScalarValue()) row.arrays.get(i).add(p.getText());
                    else p.skipChildren();
                }
            } else if (v == JsonToken.START_OBJECT) {
                p.skipChildren();
            } else if (v != JsonToken.VALUE_NULL) {
                row.values[i] = p.getText();
            }
        }
        if (t != JsonToken.END_OBJECT) throw new IllegalArgumentException("unreadable iproute2 JSON: an entry does not end");
    }
}

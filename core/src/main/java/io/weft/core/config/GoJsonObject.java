package io.weft.core.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A JSON object read the way Go's encoding/json fills a struct, which is how flanneld reads net-conf.json: every
 * member in the order written, keys matched to fields case-insensitively (Unicode case folding, so {@code "network"}
 * and {@code "NETWORK"} are {@code Network}), and of several members for one field the last one counts. Keeping
 * every member, not a map, is what lets the last one win even when the spellings differ.
 */
final class GoJsonObject {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = JSON.getFactory();

    /** One member; {@code object} is set when its value is a JSON object (then {@code value} is null). */
    record Member(String key, JsonNode value, GoJsonObject object) {
        boolean isNull() {
            return object == null && (value == null || value.isNull());
        }
    }

    private final List<Member> members;

    private GoJsonObject(List<Member> members) {
        this.members = members;
    }

    /** The whole document, which must be one JSON object and nothing after it. */
    static GoJsonObject parse(String json) {
        try (JsonParser p = FACTORY.createParser(json)) {
            p.setCodec(JSON);
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                if (first == null) throw new ConfigException(null, "not valid JSON: the file is empty");
                throw new ConfigException(null, "network config must be a JSON object");
            }
            GoJsonObject root = readObject(p);
            if (p.nextToken() != null) {
                throw new ConfigException(null, "not valid JSON: more after the closing '}'" + at(p));
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new ConfigException(null, "not valid JSON: " + e.getOriginalMessage() + at(e));
        } catch (IOException e) {
            throw new ConfigException(null, "not valid JSON: " + e.getMessage());
        }
    }

    private static GoJsonObject readObject(JsonParser p) throws IOException {
        List<Member> out = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_OBJECT) {
                out.add(new Member(key, null, readObject(p)));
            } else {
                out.add(new Member(key, p.readValueAsTree(), null));
            }
        }
        return new GoJsonObject(out);
    }

    /** Whether {@code key} as written names {@code field}, as encoding/json matches them. */
    static boolean names(String key, String field) {
        return key.equalsIgnoreCase(field);
    }

    /** Every member that names {@code field}, in order (encoding/json type-checks each of them). */
    List<Member> all(String field) {
        return members.stream().filter(m -> names(m.key(), field)).toList();
    }

    /** The member whose value the field ends up with: the last one naming it, or null if none does. */
    Member last(String field) {
        List<Member> all = all(field);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** Fields written more than once (under any spelling), each named once. */
    Set<String> repeated(Collection<String> fields) {
        Set<String> out = new LinkedHashSet<>();
        for (String f : fields) if (all(f).size() > 1) out.add(f);
        return out;
    }

    /** Keys, as written, that name none of {@code fields}. */
    List<String> unknown(Collection<String> fields) {
        return members.stream().map(Member::key).filter(k -> fields.stream().noneMatch(f -> names(k, f))).distinct().toList();
    }

    private static String at(JsonProcessingException e) {
        return e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + " column " + e.getLocation().getColumnNr();
    }

    private static String at(JsonParser p) {
        var l = p.currentTokenLocation();
        return l == null ? "" : " at line " + l.getLineNr() + " column " + l.getColumnNr();
    }
}

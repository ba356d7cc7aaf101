package io.weft.cni.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON in as plain Java values (Map, List, String, Long, Double, Boolean, null), read by a small strict
 * RFC 8259 parser: the documents are a few hundred bytes, and a JVM that lives for one CNI call spends more
 * time initialising a general-purpose JSON library (~6 ms for jackson-core's factory, symbol tables and
 * number classes) than reading them. Duplicate names, trailing data and anything malformed are decode errors
 * (code 6) that say where.
 */
public final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value; anything malformed (or trailing garbage) is a decode error, code 6. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.skipWs();
        if (p.i >= text.length()) throw new CniException(CniException.DECODE, "empty input: expected a JSON object on stdin");
        Object v = p.value(0);
        p.skipWs();
        if (p.i < text.length()) throw new CniException(CniException.DECODE, "trailing data after the JSON value");
        return v;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) throw new CniException(CniException.DECODE, "expected a JSON object, got " + typeName(v));
        return (Map<String, Object>) v;
    }

    public static String typeName(Object v) {
        if (v == null) return "null";
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        if (v instanceof String) return "a string";
        if (v instanceof Boolean) return "a boolean";
        return "a number";
    }

    // ---- the parser ---------------------------------------------------------------------------------------

    private static final int MAX_DEPTH = 512;

    private CniException error(String what) {
        int line = 1;
        int col = 1;
        for (int k = 0; k < i && k < s.length(); k++) {
            if (s.charAt(k) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return new CniException(CniException.DECODE, "cannot decode JSON: " + what + " at line " + line + ", column " + col);
    }

    private void skipWs() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            i++;
        }
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) throw error("nesting too deep");
        if (i >= s.length()) throw error("unexpected end of input");
        char c = s.charAt(i);
        if (c == '{') return object(depth + 1);
        if (c == '[') return array(depth + 1);
        if (c == '"') return string();
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        if (s.startsWith("true", i)) {
            i += 4;
            return Boolean.TRUE;
        }
        if (s.startsWith("false", i)) {
            i += 5;
            return Boolean.FALSE;
        }
        if (s.startsWith("null", i)) {
            i += 4;
            return null;
        }
        throw error("unexpected character '" + c + "'");
    }

    private Map<String, Object> object(int depth) {
        i++; // {
        Map<String, Object> m = new LinkedHashMap<>();
        skipWs();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            return m;
        }
        while (true) {
            skipWs();
            if (i >= s.length()) throw error("unterminated object");
            if (s.charAt(i) != '"') throw error("expected a field name");
            int at = i;
            String name = string();
            if (m.containsKey(name)) {
                i = at;
                throw error("duplicate field \"" + name + "\"");
            }
            skipWs();
            if (i >= s.length() || s.charAt(i) != ':') throw error("expected ':' after field name");
            i++;
            skipWs();
            m.put(name, value(depth));
            skipWs();
            if (i >= s.length()) throw error("unterminated object");
            char c = s.charAt(i++);
            if (c == '}') return m;
            if (c != ',') {
                i--;
                throw error("expected ',' or '}' in object");
            }
        }
    }

    private List<Object> array(int depth) {
        i++; // [
        List<Object> l = new ArrayList<>();
        skipWs();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            return l;
        }
        while (true) {
            skipWs();
            l.add(value(depth));
            skipWs();
            if (i >= s.length()) throw error("unterminated array");
            char c = s.charAt(i++);
            if (c == ']') return l;
            if (c != ',') {
                i--;
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String string() {
        i++; // opening quote
        int start = i;
        // the common case: no escapes, one substring
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"') return s.substring(start, i++);
            if (c == '\\') break;
            if (c < 0x20) throw error("control character in string");
            i++;
        }
        StringBuilder b = new StringBuilder(s.length() - start).append(s, start, i);
        while (i < s.length()) {
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c < 0x20) {
                i--;
                throw error("control character in string");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) break;
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) throw error("truncated \\u escape");
                    int v = 0;
                    for (int k = 0; k < 4; k++) {
                        int d = Character.digit(s.charAt(i + k), 16);
                        if (d < 0) throw error("bad \\u escape");
                        v = v * 16 + d;
                    }
                    i += 4;
                    b.append((char) v);
                }
                default -> {
                    i--;
                    throw error("bad escape '\\" + e + "'");
                }
            }
        }
        throw error("unterminated string");
    }

    private Object number() {
        int start = i;
        if (s.charAt(i) == '-') i++;
        if (i >= s.length()) throw error("bad number");
        if (s.charAt(i) == '0') {
            i++;
        } else if (s.charAt(i) >= '1' && s.charAt(i) <= '9') {
            while (i < s.length() && isDigit(s.charAt(i))) i++;
        } else {
            throw error("bad number");
        }
        boolean integral = true;
        if (i < s.length() && s.charAt(i) == '.') {
            integral = false;
            i++;
            if (i >= s.length() || !isDigit(s.charAt(i))) throw error("bad number");
            while (i < s.length() && isDigit(s.charAt(i))) i++;
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            integral = false;
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
            if (i >= s.length() || !isDigit(s.charAt(i))) throw error("bad number");
            while (i < s.length() && isDigit(s.charAt(i))) i++;
        }
        String t = s.substring(start, i);
        if (integral && t.length() <= 18) return Long.parseLong(t);
        if (integral) {
            try {
                return Long.parseLong(t);
            } catch (NumberFormatException e) {
                // beyond a long: kept as a double, like any other number weft does not read itself
            }
        }
        return Double.parseDouble(t);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}

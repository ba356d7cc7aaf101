package io.weft.agent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * flanneld's command line, read as Go's flag package and coreos/pkg flagutil.SetFlagsFromEnv read it, turned into
 * the one spelling picocli parses ({@code --name=value}). So a flanneld command line, environment included, starts
 * weftd unchanged:
 * <ul>
 *   <li>{@code -name} and {@code --name} alike, the value after {@code =} or as the next argument; a boolean takes
 *       its value only after {@code =} ({@code -ip-masq=false}), in any form strconv.ParseBool reads (1, t, TRUE...);
 *       an integer in any form strconv.ParseInt(s, 0, 64) reads (0x1f, 0o17, 017, 1_000);</li>
 *   <li>{@code --} or the first argument that is no flag ends the flags; it and what follows are passed as they are
 *       (weftd's subcommands);</li>
 *   <li>a flag not on the command line is taken from {@code FLANNELD_<NAME>} (upper case, '-' and '.' as '_'), when
 *       that is set and not empty: the command line beats the environment. A repeatable flag takes the variable's
 *       value as one entry, as flagSlice.Set does;</li>
 *   <li>{@code -v} alone means {@code -v=1} (weftd's earlier boolean flag), where klog's would take the next
 *       argument only if it is a number.</li>
 * </ul>
 * A flag or value Go's flag package refuses is refused here, in one line naming it.
 */
public final class GoFlags {
    public static final String ENV_PREFIX = "FLANNELD_";

    private GoFlags() {}

    /** The arguments picocli parses for {@code args} given with environment {@code env}. */
    public static String[] normalize(CommandSpec spec, List<String> args, Map<String, String> env) {
        Map<String, OptionSpec> byName = new HashMap<>();
        for (OptionSpec o : spec.options()) for (String n : o.names()) byName.put(n.replaceFirst("^--?", ""), o);
        List<String> out = new ArrayList<>();
        Map<OptionSpec, List<String>> given = new LinkedHashMap<>(); // a flag given twice: the last counts, as in Go
        int i = 0;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                i++;
                break;
            }
            if (a.length() < 2 || a.charAt(0) != '-') break;
            String name = a.substring(a.startsWith("--") ? 2 : 1);
            if (name.isEmpty() || name.startsWith("-") || name.startsWith("=")) throw new IllegalArgumentException("bad flag syntax: " + a);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            OptionSpec o = byName.get(name);
            if (o == null) throw new IllegalArgumentException("flag provided but not defined: -" + name + " (weftd --help lists them)");
            if (o.usageHelp() || o.versionHelp()) {
                out.add(o.longestName());
                continue;
            }
            if (value == null && !isBoolean(o)) {
                if (isVerbosity(o)) {
                    value = i + 1 < args.size() && args.get(i + 1).matches("\\d+") ? args.get(++i) : "1";
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new IllegalArgumentException("flag needs an argument: -" + name);
                }
            }
            List<String> c = canonical(o, value, "-" + name);
            if (o.isMultiValue()) given.computeIfAbsent(o, k -> new ArrayList<>()).addAll(c);
            else given.put(o, c);
        }
        given.values().forEach(out::addAll);
        for (OptionSpec o : spec.options()) {
            if (given.containsKey(o) || o.usageHelp() || o.versionHelp()) continue;
            for (String n : o.names()) {
                String key = envName(n);
                String v = env.get(key);
                if (v != null && !v.isEmpty()) {
                    out.addAll(canonical(o, v, key));
                    break;
                }
            }
        }
        out.addAll(args.subList(i, args.size()));
        return out.toArray(String[]::new);
    }

    /** {@code FLANNELD_<NAME>} for a flag name, as flagutil.SetFlagsFromEnv names it. */
    public static String envName(String flag) {
        return ENV_PREFIX + flag.replaceFirst("^--?", "").toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    private static boolean isBoolean(OptionSpec o) {
        return o.type() == boolean.class || o.type() == Boolean.class;
    }

    /** klog's -v: a level, not a boolean. */
    private static boolean isVerbosity(OptionSpec o) {
        return List.of(o.names()).contains("-v");
    }

    /** {@code value} for option {@code o}, as picocli reads it; {@code source} names where it came from in errors. */
    private static List<String> canonical(OptionSpec o, String value, String source) {
        String v = value;
        Class<?> type = o.isMultiValue() && o.auxiliaryTypes().length > 0 ? o.auxiliaryTypes()[0] : o.type();
        if (isBoolean(o)) {
            if (value == null) {
                v = "true";
            } else {
                Boolean b = parseBool(value);
                if (b == null) throw new IllegalArgumentException("invalid boolean value \"" + value + "\" for " + source);
                v = b.toString();
            }
            if (o.arity().max() == 0) {
                // a flag that takes no value can only be switched on; false leaves it at its default
                return b(v) ? List.of(o.longestName()) : List.of();
            }
        } else if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            Long n = parseInt(value);
            boolean isInt = type == int.class || type == Integer.class;
            if (n == null || (isInt && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE))) {
                throw new IllegalArgumentException("invalid value \"" + value + "\" for " + source + ": not an integer"
                        + (n != null ? " in range" : ""));
            }
            v = n.toString();
        }
        return List.of(o.longestName() + "=" + v);
    }

    private static boolean b(String v) {
        return Boolean.parseBoolean(v);
    }

    /** strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False; null for anything else. */
    static Boolean parseBool(String s) {
        return switch (s) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> null;
        };
    }

    /** strconv.ParseInt(s, 0, 64): sign, then 0x/0o/0b or a leading 0 (octal) or decimal, '_' between digits; null if not. */
    static Long parseInt(String s) {
        String t = s;
        boolean negative = false;
        if (t.startsWith("+") || t.startsWith("-")) {
            negative = t.startsWith("-");
            t = t.substring(1);
        }
        int radix = 10;
        String digits = t;
        boolean prefixed = false;
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.startsWith("0x")) {
            radix = 16;
            digits = t.substring(2);
            prefixed = true;
        } else if (lower.startsWith("0o")) {
            radix = 8;
            digits = t.substring(2);
            prefixed = true;
        } else if (lower.startsWith("0b")) {
            radix = 2;
            digits = t.substring(2);
            prefixed = true;
        } else if (t.length() > 1 && t.startsWith("0")) {
            radix = 8;
            digits = t.substring(1);
            prefixed = true;
        }
        if (digits.contains("_")) {
            // Go's underscoreOK: each '_' between two digits, or right after a base prefix
            String check = (prefixed ? "0" : "") + digits;
            if (check.startsWith("_") || check.endsWith("_") || check.contains("__")) return null;
            digits = digits.replace("_", "");
        }
        if (digits.isEmpty() || digits.startsWith("+") || digits.startsWith("-")) return null;
        try {
            return Long.parseLong((negative ? "-" : "") + digits, radix);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}

package io.weft.cni.spec;

import java.util.List;

/** The CNI specification versions weft speaks, and ordering between them. */
public final class CniVersion {
    public static final String CURRENT = "1.1.0";
    public static final List<String> SUPPORTED = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");

    private CniVersion() {}

    public static boolean supported(String v) {
        return SUPPORTED.contains(v);
    }

    /** Refuses a version weft does not speak with code 1, naming what it does speak. */
    public static void requireSupported(String v) {
        if (!supported(v)) {
            throw new CniException(CniException.INCOMPATIBLE_VERSION, "incompatible CNI versions",
                    "config is \"" + v + "\", plugin supports " + SUPPORTED);
        }
    }

    /** a >= b, both dotted versions of up to three numbers. */
    public static boolean atLeast(String a, String b) {
        return compare(a, b) >= 0;
    }

    public static int compare(String a, String b) {
        int[] x = parts(a);
        int[] y = parts(b);
        for (int i = 0; i < 3; i++) {
            if (x[i] != y[i]) return Integer.compare(x[i], y[i]);
        }
        return 0;
    }

    private static int[] parts(String v) {
        int[] r = new int[3];
        String[] s = v.split("\\.");
        for (int i = 0; i < Math.min(3, s.length); i++) {
            try {
                r[i] = Integer.parseInt(s[i]);
            } catch (NumberFormatException e) {
                throw new CniException(CniException.INCOMPATIBLE_VERSION, "not a CNI version: \"" + v + "\"");
            }
        }
        return r;
    }

    /** ips[].version ("4") is part of results before 1.0.0 and gone after. */
    public static boolean ipsCarryVersion(String v) {
        return compare(v, "1.0.0") < 0;
    }
}

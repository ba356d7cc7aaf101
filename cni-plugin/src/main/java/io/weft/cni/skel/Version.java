package io.weft.cni.skel;

import io.weft.cni.spec.CniException;
import io.weft.cni.spec.CniVersion;
import io.weft.cni.spec.Json;
import io.weft.cni.spec.JsonOut;

/** VERSION: the caller's cniVersion back (or the newest weft speaks) and every version weft speaks. */
public final class Version {
    private Version() {}

    public static String answer(String stdin) {
        String v = CniVersion.CURRENT;
        if (stdin != null && !stdin.isBlank()) {
            try {
                if (Json.parseObject(stdin).get("cniVersion") instanceof String s && !s.isEmpty()) v = s;
            } catch (CniException e) {
                // VERSION must answer whatever the caller sent
            }
        }
        JsonOut o = new JsonOut().beginObject().field("cniVersion", v).beginArray("supportedVersions");
        for (String s : CniVersion.SUPPORTED) o.value(s);
        return o.endArray().endObject().toString();
    }
}

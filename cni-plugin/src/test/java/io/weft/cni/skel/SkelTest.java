package io.weft.cni.skel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weft.cni.spec.CniException;
import io.weft.cni.spec.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's rules, table by table, with commands that only record that they ran: which versions weft
 * speaks, which command from which version, which variable each command needs (the reference skel's table).
 */
class SkelTest {
    final List<String> ran = new ArrayList<>();

    Skel.Commands commands() {
        return new Skel.Commands((e, c) -> ran("ADD"), (e, c) -> ran("DEL"), (e, c) -> ran("CHECK"), (e, c) -> ran("STATUS"),
                (e, c) -> ran("GC"));
    }

    String ran(String cmd) {
        ran.add(cmd);
        return "{}";
    }

    static String conf(String version) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"n\",\"type\":\"weft\"}";
    }

    Skel.Outcome call(String cmd, String id, String netns, String ifname, String path, String stdin) {
        return Skel.run(new CniEnv(cmd, id, netns, ifname, null, path), stdin, commands());
    }

    Skel.Outcome call(String cmd, String version) {
        return call(cmd, "c1", "/proc/self/ns/net", "eth0", "/opt/cni/bin", conf(version));
    }

    static Map<String, Object> error(Skel.Outcome o, int code) {
        assertEquals(1, o.exitCode(), o.stdout());
        Map<String, Object> e = Json.parseObject(o.stdout());
        assertEquals((long) code, e.get("code"), o.stdout());
        return e;
    }

    @Test
    void commandsRunFromTheVersionThatHasThem() {
        String[][] table = {
                // command, lowest version that has it
                {"ADD", "0.3.0"}, {"DEL", "0.3.0"}, {"CHECK", "0.4.0"}, {"STATUS", "1.1.0"}, {"GC", "1.1.0"}};
        for (String[] row : table) {
            for (String v : List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")) {
                ran.clear();
                Skel.Outcome o = call(row[0], v);
                if (io.weft.cni.spec.CniVersion.atLeast(v, row[1])) {
                    assertEquals(0, o.exitCode(), row[0] + " " + v + ": " + o.stdout());
                    assertEquals(List.of(row[0]), ran);
                } else {
                    Map<String, Object> e = error(o, CniException.INCOMPATIBLE_VERSION);
                    assertEquals("config version does not allow " + row[0], e.get("msg"));
                    assertEquals(v, e.get("cniVersion"), "the error speaks the caller's version");
                    assertEquals(List.of(), ran);
                }
            }
        }
    }

    @Test
    void versionsWeftDoesNotSpeakAreCode1NamingThoseItDoes() {
        for (String v : List.of("0.2.0", "1.2.0", "2.0.0")) {
            Map<String, Object> e = error(call("ADD", v), 1);
            assertEquals("incompatible CNI versions", e.get("msg"));
            assertTrue(e.get("details").toString().contains("1.1.0"), e.toString());
            assertNull(e.get("cniVersion"), "no version weft cannot speak in its answer");
        }
        assertTrue(ran.isEmpty());
    }

    @Test
    void eachCommandNeedsItsVariables() {
        String c = conf("1.1.0");
        // (command, id, netns, ifname, path) -> the missing ones named, or null when the call may run
        Object[][] table = {
                {"ADD", null, "/proc/self/ns/net", "eth0", "/p", "[CNI_CONTAINERID]"},
                {"ADD", "c", null, "eth0", "/p", "[CNI_NETNS]"},
                {"ADD", "c", "/proc/self/ns/net", null, null, "[CNI_IFNAME CNI_PATH]"},
                {"CHECK", "c", null, "eth0", "/p", "[CNI_NETNS]"},
                {"DEL", "c", null, "eth0", "/p", null},
                {"DEL", "c", "/proc/self/ns/net", null, "/p", "[CNI_IFNAME]"},
                {"STATUS", null, null, null, null, null},
                {"GC", null, null, null, null, null},
        };
        for (Object[] row : table) {
            Skel.Outcome o = call((String) row[0], (String) row[1], (String) row[2], (String) row[3], (String) row[4], c);
            if (row[5] == null) {
                assertEquals(0, o.exitCode(), row[0] + ": " + o.stdout());
            } else {
                assertEquals("required env variables " + row[5] + " missing", error(o, 4).get("msg"), row[0] + " " + row[5]);
            }
        }
        error(call(null, null, null, null, null, c), 4);
        assertEquals("unknown CNI_COMMAND: FROB", error(call("FROB", "c", "/x", "eth0", "/p", c), 4).get("msg"));
        assertTrue(error(call("ADD", "../etc", "/proc/self/ns/net", "eth0", "/p", c), 4).get("msg").toString().contains("CNI_CONTAINERID"));
        assertTrue(error(call("ADD", "c", "/proc/self/ns/net", "much-too-long-name", "/p", c), 4).get("msg").toString().contains("CNI_IFNAME"));
        assertEquals("CNI_NETNS /var/run/netns/weft-gone does not exist",
                error(call("ADD", "c", "/var/run/netns/weft-gone", "eth0", "/p", c), 4).get("msg"));
    }

    @Test
    void versionAnswersWhateverItIsSent() {
        for (String stdin : List.of("", "{", "{\"cniVersion\":\"0.4.0\"}")) {
            Skel.Outcome o = call("VERSION", null, null, null, null, stdin);
            assertEquals(0, o.exitCode());
            Map<String, Object> v = Json.parseObject(o.stdout());
            assertEquals(stdin.contains("0.4.0") ? "0.4.0" : "1.1.0", v.get("cniVersion"));
            assertEquals(List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"), v.get("supportedVersions"));
        }
    }

    @Test
    void undecodableInputIsCode6() {
        error(call("ADD", "c", "/proc/self/ns/net", "eth0", "/p", "{"), 6);
        error(call("DEL", "c", null, "eth0", "/p", "[]"), 6);
    }
}

package io.weft.cni.skel;

import io.weft.cni.netlink.NetlinkException;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.CniVersion;
import io.weft.cni.spec.NetConf;
import java.io.IOException;

/**
 * The dispatcher, after the reference {@code skel} package: CNI_COMMAND picks the command, the config is parsed
 * and its cniVersion checked, the environment checked for what the command needs, and every failure becomes
 * the CNI error object. The version rules live here and nowhere else: the versions weft speaks (code 1 for
 * others), CHECK from 0.4.0, STATUS and GC from 1.1.0.
 */
public final class Skel {
    private Skel() {}

    /** One CNI command: what goes to stdout (null for nothing), or a {@link CniException}. */
    public interface Command {
        String run(CniEnv env, NetConf conf) throws IOException;
    }

    /** The plugin's commands; VERSION is the skeleton's own. */
    public record Commands(Command add, Command del, Command check, Command status, Command gc) {}

    /** What one call prints on stdout (null: nothing) and its exit status. */
    public record Outcome(int exitCode, String stdout) {}

    public static Outcome run(CniEnv env, String stdin, Commands commands) {
        try {
            return new Outcome(0, dispatch(env, stdin, commands));
        } catch (CniException e) {
            return new Outcome(1, e.toJson(versionOf(stdin)));
        } catch (NetlinkException e) {
            return new Outcome(1, new CniException(CniException.INTERNAL, e.getMessage()).toJson(versionOf(stdin)));
        } catch (IOException e) {
            return new Outcome(1, new CniException(CniException.IO_FAILURE, "I/O failure: " + e).toJson(versionOf(stdin)));
        } catch (RuntimeException e) {
            e.printStackTrace(System.err);
            return new Outcome(1, new CniException(CniException.INTERNAL, "internal error: " + e).toJson(versionOf(stdin)));
        }
    }

    private static String dispatch(CniEnv env, String stdin, Commands commands) throws IOException {
        String cmd = env.command();
        if (cmd == null) throw new CniException(CniException.INVALID_ENV, "required env variables [CNI_COMMAND] missing");
        if (cmd.equals("VERSION")) return Version.answer(stdin);
        Command c;
        String since;
        switch (cmd) {
            case "ADD" -> { c = commands.add(); since = null; }
            case "DEL" -> { c = commands.del(); since = null; }
            case "CHECK" -> { c = commands.check(); since = "0.4.0"; }
            case "STATUS" -> { c = commands.status(); since = "1.1.0"; }
            case "GC" -> { c = commands.gc(); since = "1.1.0"; }
            default -> throw new CniException(CniException.INVALID_ENV, "unknown CNI_COMMAND: " + cmd,
                    "one of ADD, DEL, CHECK, STATUS, GC, VERSION");
        }
        NetConf conf = NetConf.parse(stdin); // undecodable 6, invalid 7
        Trace.mark("parse config");
        CniVersion.requireSupported(conf.cniVersion());
        if (since != null && !CniVersion.atLeast(conf.cniVersion(), since)) {
            throw new CniException(CniException.INCOMPATIBLE_VERSION, "config version does not allow " + cmd,
                    "cniVersion " + conf.cniVersion() + " < " + since);
        }
        env.require(cmd);
        return c.run(env, conf);
    }

    /** The config's cniVersion for the error object, when the input has a usable one. */
    private static String versionOf(String stdin) {
        int i = stdin.indexOf("\"cniVersion\"");
        if (i < 0) return null;
        int q1 = stdin.indexOf('"', stdin.indexOf(':', i) + 1);
        int q2 = q1 < 0 ? -1 : stdin.indexOf('"', q1 + 1);
        if (q2 < 0) return null;
        String v = stdin.substring(q1 + 1, q2);
        return CniVersion.supported(v) ? v : null;
    }
}

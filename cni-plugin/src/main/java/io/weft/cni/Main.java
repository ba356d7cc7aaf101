package io.weft.cni;

import io.weft.cni.netlink.NetlinkException;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.CniVersion;
import io.weft.core.iproute.IpException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The {@code weft} CNI plugin, as runtimes run it: CNI_* variables in the environment, the network config
 * on stdin, the result or error JSON on stdout (and nothing else there: System.out is pointed at stderr
 * before anything runs), exit status 0 or 1.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        Trace.mark("jvm to main");
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        CniEnv env = CniEnv.from(System.getenv());
        if (env.command() == null) {
            // (no System.console() probe: on JDK 22+ it starts JLine, tens of milliseconds)
            System.err.println("weft CNI plugin: CNI protocol versions supported: " + String.join(", ", CniVersion.SUPPORTED));
        }
        String stdin;
        try {
            stdin = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            stdin = "";
        }
        Trace.mark("env and stdin");
        Outcome o = execute(env, stdin);
        int code = o.exitCode();
        String out = o.stdout();
        Trace.mark("command");
        if (out != null) {
            stdout.print(out);
            stdout.print('\n');
        }
        stdout.flush();
        Trace.flush();
        System.err.flush();
        // halt, not exit: Runtime.exit looks up the System.Logger "java.lang.Runtime" first (JDK 21+), and finding
        // the logging backend runs a ServiceLoader over every jar of the class path, ~10 ms of a ~40 ms call.
        // Nothing here needs shutdown hooks; the flock(1) holder sees its stdin close when this process is gone.
        Runtime.getRuntime().halt(code);
    }

    /** What one call prints on stdout (null: nothing) and its exit status. */
    public record Outcome(int exitCode, String stdout) {}

    /** Runs one command; every failure becomes the CNI error object. */
    public static Outcome execute(CniEnv env, String stdin) {
        return execute(env, stdin, Kernel.REAL);
    }

    static Outcome execute(CniEnv env, String stdin, Kernel kernel) {
        try {
            return new Outcome(0, new Plugin(env, kernel).run(stdin));
        } catch (CniException e) {
            return new Outcome(1, e.toJson(versionOf(stdin)));
        } catch (IpException | NetlinkException e) {
            return new Outcome(1, new CniException(CniException.INTERNAL, e.getMessage()).toJson(versionOf(stdin)));
        } catch (IOException e) {
            return new Outcome(1, new CniException(CniException.IO_FAILURE, "I/O failure: " + e).toJson(versionOf(stdin)));
        } catch (RuntimeException e) {
            e.printStackTrace(System.err);
            return new Outcome(1, new CniException(CniException.INTERNAL, "internal error: " + e).toJson(versionOf(stdin)));
        }
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

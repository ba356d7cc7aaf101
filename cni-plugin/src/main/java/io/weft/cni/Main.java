package io.weft.cni;

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
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        CniEnv env = CniEnv.from(System.getenv());
        if (env.command() == null && System.console() != null) {
            System.err.println("weft CNI plugin: CNI protocol versions supported: " + String.join(", ", CniVersion.SUPPORTED));
        }
        String stdin = "";
        int code = 0;
        String out;
        try {
            stdin = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            out = new Plugin(env).run(stdin);
        } catch (CniException e) {
            out = e.toJson(versionOf(stdin));
            code = 1;
        } catch (IpException e) {
            out = new CniException(CniException.INTERNAL, e.getMessage()).toJson(versionOf(stdin));
            code = 1;
        } catch (IOException e) {
            out = new CniException(CniException.IO_FAILURE, "I/O failure: " + e).toJson(versionOf(stdin));
            code = 1;
        } catch (RuntimeException e) {
            e.printStackTrace(System.err);
            out = new CniException(CniException.INTERNAL, "internal error: " + e).toJson(versionOf(stdin));
            code = 1;
        }
        if (out != null) {
            stdout.print(out);
            stdout.print('\n');
        }
        stdout.flush();
        System.exit(code);
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

package io.weft.cni;

import io.weft.cni.bridge.Kernel;
import io.weft.cni.command.Add;
import io.weft.cni.command.Check;
import io.weft.cni.command.Del;
import io.weft.cni.command.Gc;
import io.weft.cni.command.Status;
import io.weft.cni.skel.CniEnv;
import io.weft.cni.skel.Skel;
import io.weft.cni.skel.Trace;
import io.weft.cni.spec.CniVersion;
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
        Skel.Outcome o = execute(env, stdin, Kernel.REAL);
        Trace.mark("command");
        if (o.stdout() != null) {
            stdout.print(o.stdout());
            stdout.print('\n');
        }
        stdout.flush();
        Trace.flush();
        System.err.flush();
        // halt, not exit: Runtime.exit looks up the System.Logger "java.lang.Runtime" first (JDK 21+), and finding
        // the logging backend runs a ServiceLoader over every jar of the class path, ~10 ms of a ~40 ms call.
        // Nothing here needs shutdown hooks.
        Runtime.getRuntime().halt(o.exitCode());
    }

    /** The commands wired to {@code kernel}, and one call through the skeleton. */
    static Skel.Outcome execute(CniEnv env, String stdin, Kernel kernel) {
        return Skel.run(env, stdin, new Skel.Commands(new Add(kernel), new Del(kernel), new Check(kernel), new Status(), new Gc(kernel)));
    }
}

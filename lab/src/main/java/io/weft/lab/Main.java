package io.weft.lab;

import io.weft.lab.bench.BenchCommand;
import io.weft.lab.chaos.ChaosCommand;
import io.weft.lab.demo.DemoCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code weft-lab}: the demo and the benchmarks, on clusters made of network namespaces on this machine. */
@Command(name = "weft-lab", mixinStandardHelpOptions = true, version = "weft-lab 0.1.0",
        description = "weft on one machine: a cluster in network namespaces (demo), the README's benchmarks (bench) and "
                + "faults injected at random (chaos).",
        subcommands = {DemoCommand.class, BenchCommand.class, ChaosCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: demo, bench or chaos");
    }
}

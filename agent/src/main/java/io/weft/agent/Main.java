package io.weft.agent;

import io.weft.agent.underlay.Underlay;
import io.weft.agent.backend.BackendException;
import io.weft.agent.capture.CaptureCommand;
import io.weft.agent.cli.DurationConverter;
import io.weft.agent.subnet.LocalDirSubnetManager;
import io.weft.agent.subnet.SubnetException;
import io.weft.agent.status.StatusCommand;
import io.weft.agent.subnet.SubnetManager;
import io.weft.agent.trace.TraceCommand;
import io.weft.core.config.ConfigException;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.config.SubnetEnv;
import io.weft.core.iproute.IpException;
import io.weft.core.net.Ipv4Address;
import io.weft.core.net.Ipv6Address;
import io.weft.core.net.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * weftd: the node agent. Every flanneld flag (main.go) is accepted, in Go's spellings and from FLANNELD_* variables
 * ({@link GoFlags}); the few weft cannot honour are refused with the reason.
 */
@Command(name = "weftd", mixinStandardHelpOptions = true, version = "weftd 0.1.0",
        description = "weft node agent: leases this node's pod subnet and programs the VXLAN overlay.")
public final class Main implements Callable<Integer> {
    private static final Logger LOG = Logger.getLogger(Main.class.getName());
    static final Path DEFAULT_NET_CONF = Path.of("/etc/kube-flannel/net-conf.json");

    @Option(names = "--iface", description = "Interface (name or IPv4 address) for inter-node traffic; repeat it to give "
            + "choices, the first that exists wins. Default: the default route's.")
    List<String> ifaces = new ArrayList<>();

    @Option(names = "--iface-regex", description = "Regular expression matched against each interface's addresses, then names, "
            + "when no --iface matched; repeatable.")
    List<String> ifaceRegexes = new ArrayList<>();

    @Option(names = "--iface-can-reach", description = "The interface of the route to this address, when no --iface or --iface-regex matched.")
    String ifaceCanReach;

    @Option(names = "--public-ip", description = "Address other nodes reach this one at; default: the interface's address.")
    String publicIp;

    @Option(names = "--public-ipv6", description = "IPv6 address other nodes reach this one at (with EnableIPv6); default: the "
            + "interface's IPv6 address.")
    String publicIpv6;

    @Option(names = "--subnet-file", defaultValue = "/run/flannel/subnet.env", description = "Where to write subnet.env (default: ${DEFAULT-VALUE}).")
    Path subnetFile;

    @Option(names = "--net-config-path", description = "net-conf.json (default: /etc/kube-flannel/net-conf.json if it exists, "
            + "else the store's: <prefix>/config in etcd, <lease-dir>/config).")
    Path netConfigPath;

    @Option(names = "--lease-dir", description = "Keep leases as files in this directory, shared by all agents on one machine.")
    Path leaseDir;

    @Mixin
    KubeFlags kube = new KubeFlags();

    @Mixin
    EtcdFlags etcd = new EtcdFlags();

    @Option(names = "--ip-masq", arity = "0..1", description = "Install flannel's masquerade rules for traffic leaving the cluster network.")
    boolean ipMasq;

    @Option(names = "--ip-masq-fully-random-disable", arity = "0..1",
            description = "Masquerade without --random-fully (flanneld's flag).")
    boolean ipMasqRandomFullyDisable;

    @Option(names = "--iptables-forward-rules", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            description = "Accept pod traffic in FORWARD (flannel's FLANNEL-FWD chain), also without --ip-masq (default: ${DEFAULT-VALUE}).")
    boolean iptablesForwardRules;

    @Option(names = "--iptables-resync", defaultValue = "5", converter = DurationConverter.class,
            description = "How often the iptables or nftables rules (and the blackhole route) are checked and repaired; seconds, "
                    + "as flanneld's, or 500ms, 1m (default: ${DEFAULT-VALUE}).")
    Duration iptablesResync;

    @Option(names = "--ip-blackhole-route", arity = "0..1", description = "A blackhole route for this node's subnet (for Canal).")
    boolean blackholeRoute;

    @Option(names = "--subnet-lease-renew-margin", defaultValue = "60",
            description = "Minutes before its expiry a lease is renewed, 1 to 1439 (default: ${DEFAULT-VALUE}).")
    int renewMarginMinutes;

    @Option(names = "--healthz-ip", defaultValue = "0.0.0.0", description = "Address for /healthz, /readyz and /metrics (default: ${DEFAULT-VALUE}).")
    String healthzIp;

    @Option(names = "--healthz-port", defaultValue = "0", description = "Port for /healthz, /readyz and /metrics; 0 disables them (default: ${DEFAULT-VALUE}).")
    int healthzPort;

    @Option(names = "--debug-socket", defaultValue = "/run/weft/weftd.sock",
            description = "Unix socket for the debug API (weftd capture), mode 0600: root on this node only; \"\" turns it "
                    + "off (default: ${DEFAULT-VALUE}).")
    String debugSocket;

    @Option(names = "--debug-listen", description = "Also serve the debug API on ADDRESS:PORT to clients with a certificate "
            + "signed by --debug-client-ca-file (TLS; needs --debug-tls-cert-file and --debug-tls-key-file). Off by default.")
    String debugListen;

    @Option(names = "--debug-tls-cert-file", description = "This agent's certificate (PEM) for --debug-listen.")
    Path debugTlsCert;

    @Option(names = "--debug-tls-key-file", description = "Its private key (PEM; keep it mode 0600).")
    Path debugTlsKey;

    @Option(names = "--debug-client-ca-file", description = "CA (PEM) whose client certificates may use --debug-listen.")
    Path debugClientCa;

    @Option(names = "--resync-interval", defaultValue = "30s", converter = DurationConverter.class,
            description = "How often the kernel's tables are read in full and checked against the leases; changes to the "
                    + "leases and removals of the agent's entries are acted on at once either way (default: ${DEFAULT-VALUE}).")
    Duration resync;

    @Option(names = "--kernel-watch", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            description = "Put the agent's routes, neighbours and FDB entries back as soon as something else removes them "
                    + "(ip monitor); false: at the next --resync-interval only, as flanneld (default: ${DEFAULT-VALUE}).")
    boolean kernelWatch;

    @Option(names = {"-v", "--v", "--verbose"}, arity = "0..1", fallbackValue = "1",
            description = "Log level as klog's -v=N: 0 info, 1 or more debug detail and stack traces.")
    int verbosity;

    @Option(names = "--vmodule", hidden = true, description = "klog's per-file levels; refused.")
    String vmodule;

    @Option(names = "--log_backtrace_at", hidden = true, description = "klog's backtrace at file:line; refused.")
    String logBacktraceAt;

    /** The process environment (NODE_NAME, POD_NAME, ETCD_PASSWORD...); tests give their own. */
    Map<String, String> env = System.getenv();

    public static void main(String[] args) {
        // Netty 4.2 loads the JDK Flight Recorder at start-up to offer its own events (~110 classes, ~0.1 s of a
        // restart, during which a userspace node carries no traffic); -Dio.netty.jfr.enabled=true brings them back.
        if (System.getProperty("io.netty.jfr.enabled") == null) System.setProperty("io.netty.jfr.enabled", "false");
        System.exit(run(args, System.getenv()));
    }

    /** weftd with {@code args} and environment {@code env}: flanneld's syntax and FLANNELD_* variables included. */
    static int run(String[] args, Map<String, String> env) {
        Main main = new Main();
        main.env = env;
        CommandLine cl = new CommandLine(main);
        String[] normalized;
        try {
            normalized = GoFlags.normalize(cl.getCommandSpec(), List.of(args), env);
        } catch (IllegalArgumentException e) {
            System.err.println("weftd: " + e.getMessage());
            return 1;
        }
        return reportingInOneLine(withSubcommandsIfNamed(cl, normalized)).execute(normalized);
    }

    /** Parses like {@link #run} without running: the options weftd would start with. */
    static Main parse(String[] args, Map<String, String> env) {
        Main main = new Main();
        main.env = env;
        CommandLine cl = new CommandLine(main);
        String[] normalized = GoFlags.normalize(cl.getCommandSpec(), List.of(args), env);
        withSubcommandsIfNamed(cl, normalized).parseArgs(normalized);
        return main;
    }

    /**
     * Registers weftd's subcommands when the command line names one (GoFlags leaves every flag as one token starting
     * with '-', so anything else names a subcommand or is refused as a stray argument) or asks for help or the
     * version. picocli builds a command's option model from its annotations when it is registered (~50 ms of reflection
     * in a fresh JVM for these four): a starting agent does not pay for it, and a restarting userspace node, which
     * carries no traffic until its agent is up, is back that much sooner.
     */
    static CommandLine withSubcommandsIfNamed(CommandLine cl, String[] normalized) {
        boolean named = false;
        for (String a : normalized) named |= !a.startsWith("-") || a.equals("--help") || a.equals("--version");
        if (!named) return cl;
        for (Object sub : List.of(new CaptureCommand(), new StatusCommand(), new TraceCommand(), new AotTraining())) {
            cl.addSubcommand(sub);
        }
        return cl;
    }

    /** Failures as one line on stderr, for the command and the subcommands it has by then. */
    private static CommandLine reportingInOneLine(CommandLine cl) {
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            System.err.println(cmd.getCommandName() + ": " + ex.getMessage());
            return 1;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            System.err.println(ex.getCommandLine().getCommandName() + ": " + ex.getMessage());
            return 1;
        });
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        LogSetup.init(verbosity > 0);
        NetConf conf;
        SubnetManager manager;
        Agent.Settings s;
        try {
            s = settings();
            conf = readConfig();
            manager = subnetManager(conf);
            manager.config();
        } catch (ConfigException e) {
            System.err.println("weftd: bad network config: " + e.getMessage());
            return 1;
        } catch (IllegalArgumentException | SubnetException e) {
            System.err.println("weftd: " + e.getMessage());
            return 1;
        }
        Agent agent = new Agent(s, manager, Backends::create);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopAndAwait(agent, closed), "weftd-shutdown"));
        try {
            agent.run();
            return 0;
        } catch (ConfigException e) {
            System.err.println("weftd: bad network config: " + e.getMessage());
        } catch (BackendException | SubnetException | IllegalArgumentException | IllegalStateException e) {
            System.err.println("weftd: " + e.getMessage());
        } catch (IpException e) {
            System.err.println("weftd: kernel change failed: " + e.getMessage());
        } finally {
            manager.close();
            closed.countDown();
        }
        return 1;
    }

    /**
     * The shutdown hook: stops the agent, then waits until {@link #call} has closed the store too. The JVM exits when
     * its hooks return, and HotSpot first waits up to ~0.3 s for threads still in a system call (the lease directory's
     * inotify watch is one until the main thread has closed it). A userspace node is dark from the datapath's close
     * until the next agent is up, so that wait would add to it.
     */
    private static void stopAndAwait(Agent agent, CountDownLatch closed) {
        agent.stop();
        try {
            closed.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The agent's settings; a flag weft cannot honour, or a value out of flanneld's range, is refused. */
    Agent.Settings settings() {
        if (vmodule != null) {
            throw new IllegalArgumentException("--vmodule: weft logs at one level for all its parts; use -v=N instead");
        }
        if (logBacktraceAt != null) {
            throw new IllegalArgumentException("--log_backtrace_at: weft logs stack traces with -v=1 and above; use that instead");
        }
        // main.go: "Invalid subnet-lease-renew-margin option, out of acceptable range"
        if (renewMarginMinutes <= 0 || renewMarginMinutes >= 24 * 60) {
            throw new IllegalArgumentException("--subnet-lease-renew-margin " + renewMarginMinutes + ": out of range; give minutes"
                    + " from 1 to 1439 (a lease lasts 24 h)");
        }
        if (iptablesResync.isNegative() || iptablesResync.isZero()) {
            throw new IllegalArgumentException("--iptables-resync " + iptablesResync.toSeconds() + ": give seconds, at least 1");
        }
        Ipv4Address ip = null;
        if (publicIp != null) {
            try {
                ip = Ipv4Address.parse(publicIp);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--public-ip: " + e.getMessage());
            }
        }
        Ipv6Address ip6 = null;
        if (publicIpv6 != null) {
            try {
                ip6 = Ipv6Address.parse(publicIpv6);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--public-ipv6: " + e.getMessage());
            }
        }
        return new Agent.Settings(new Underlay.Choice(ifaces, ifaceRegexes, ifaceCanReach), ip, ip6, subnetFile, ipMasq, healthzIp,
                healthzPort, resync, debugAccess(), iptablesResync, iptablesForwardRules, ipMasqRandomFullyDisable,
                Duration.ofMinutes(renewMarginMinutes), blackholeRoute, kernelWatch);
    }

    /**
     * The lease store, as flanneld picks it: the Kubernetes API with --kube-subnet-mgr, else etcd (at flannel's default
     * endpoints unless --etcd-endpoints says where); weft's --lease-dir is a third.
     */
    SubnetManager subnetManager(NetConf conf) throws IOException {
        if (leaseDir != null && (kube.enabled || etcd.endpoints != null)) {
            throw new IllegalArgumentException((kube.enabled ? "--kube-subnet-mgr" : "--etcd-endpoints")
                    + " and --lease-dir name 2 lease stores: give one");
        }
        if (!kube.enabled && !kube.givenWithoutManager().isEmpty()) {
            LOG.warning(String.join(" and ", kube.givenWithoutManager()) + " ignored without --kube-subnet-mgr, as by flanneld");
        }
        if (kube.enabled) {
            if (etcd.endpoints != null) LOG.warning("--etcd-endpoints ignored with --kube-subnet-mgr, as by flanneld");
            return kube.create(conf, env);
        }
        SubnetEnv previous = previousSubnets();
        Ipv4Cidr previous4 = previous == null ? null : previous.subnet();
        if (leaseDir != null) return new LocalDirSubnetManager(leaseDir, conf, previous4, previous == null ? null : previous.ipv6Subnet());
        return etcd.create(netConfigPath != null ? conf : null, previous4, previous == null ? null : previous.ipv6Subnet(), env);
    }

    /**
     * An existing subnet.env (flanneld's or weft's): its FLANNEL_SUBNET and FLANNEL_IPV6_SUBNET, as flannel's main.go
     * reads them for the previous subnets; null if none.
     */
    private SubnetEnv previousSubnets() {
        if (!Files.exists(subnetFile)) return null;
        try {
            return SubnetEnv.read(subnetFile);
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot read the previous subnet from " + subnetFile + ": " + e.getMessage());
            return null;
        }
    }

    /** The debug API's listeners: the socket unless turned off; TCP only with TLS and client certificates. */
    Agent.DebugAccess debugAccess() {
        Path socket = debugSocket == null || debugSocket.isBlank() ? null : Path.of(debugSocket);
        boolean tlsFiles = debugTlsCert != null || debugTlsKey != null || debugClientCa != null;
        if (debugListen == null) {
            if (tlsFiles) throw new IllegalArgumentException("--debug-tls-cert-file, --debug-tls-key-file and "
                    + "--debug-client-ca-file go with --debug-listen ADDRESS:PORT");
            return new Agent.DebugAccess(socket, null, null);
        }
        if (debugTlsCert == null || debugTlsKey == null || debugClientCa == null) {
            throw new IllegalArgumentException("--debug-listen serves traffic captures to other machines, so it needs "
                    + "authentication: give --debug-tls-cert-file, --debug-tls-key-file and --debug-client-ca-file "
                    + "(clients then need a certificate signed by that CA)");
        }
        int colon = debugListen.lastIndexOf(':');
        int port;
        try {
            port = Integer.parseInt(debugListen.substring(colon + 1));
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            port = -1;
        }
        if (colon <= 0 || port < 1 || port > 65535) {
            throw new IllegalArgumentException("--debug-listen " + debugListen + ": give ADDRESS:PORT, e.g. 0.0.0.0:10268");
        }
        String host = debugListen.substring(0, colon).replaceAll("^\\[|]$", "");
        javax.net.ssl.SSLContext tls = io.weft.agent.tls.PemTls.server(debugTlsCert, debugTlsKey, debugClientCa,
                new io.weft.agent.tls.PemTls.Flags("--debug-client-ca-file", "--debug-tls-cert-file", "--debug-tls-key-file"));
        return new Agent.DebugAccess(socket, new java.net.InetSocketAddress(host, port), tls);
    }

    private NetConf readConfig() {
        if (netConfigPath != null) return NetConfParser.read(netConfigPath);
        if (Files.exists(DEFAULT_NET_CONF)) return NetConfParser.read(DEFAULT_NET_CONF);
        return null; // the lease store's own config
    }
}

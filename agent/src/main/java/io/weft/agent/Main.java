package io.weft.agent;

import io.weft.agent.backend.BackendException;
import io.weft.agent.cli.DurationConverter;
import io.weft.agent.subnet.LocalDirSubnetManager;
import io.weft.agent.subnet.SubnetException;
import io.weft.agent.subnet.SubnetManager;
import io.weft.agent.subnet.etcd.EtcdClient;
import io.weft.agent.subnet.etcd.EtcdSubnetManager;
import io.weft.agent.subnet.etcd.EtcdTls;
import io.weft.agent.subnet.kube.KubeClients;
import io.weft.agent.subnet.kube.KubeSubnetManager;
import io.weft.agent.subnet.kube.NodeAnnotations;
import io.weft.core.config.ConfigException;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import io.weft.core.iproute.IpException;
import io.weft.core.net.Ipv4Address;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** weftd: the node agent. Flags follow flanneld's where flanneld has them. */
@Command(name = "weftd", mixinStandardHelpOptions = true, version = "weftd 0.1.0",
        description = "weft node agent: leases this node's pod subnet and programs the VXLAN overlay.",
        subcommands = {io.weft.agent.lab.DemoCommand.class, io.weft.agent.lab.BenchCommand.class,
                io.weft.agent.capture.CaptureCommand.class, AotTraining.class})
public final class Main implements Callable<Integer> {

    static final Path DEFAULT_NET_CONF = Path.of("/etc/kube-flannel/net-conf.json");

    @Option(names = "--iface", description = "Interface (name or address) for inter-node traffic; default: the default route's.")
    String iface;

    @Option(names = "--public-ip", description = "Address other nodes reach this one at; default: the interface's address.")
    String publicIp;

    @Option(names = "--subnet-file", defaultValue = "/run/flannel/subnet.env", description = "Where to write subnet.env (default: ${DEFAULT-VALUE}).")
    Path subnetFile;

    @Option(names = "--net-config-path", description = "net-conf.json (default: " + "/etc/kube-flannel/net-conf.json"
            + " if it exists, else <lease-dir>/config).")
    Path netConfigPath;

    @Option(names = "--lease-dir", description = "Keep leases as files in this directory, shared by all agents on one machine.")
    Path leaseDir;

    @Option(names = "--kube-subnet-mgr", description = "Take this node's subnet from its spec.podCIDR and publish the lease in "
            + "flannel's node annotations (the Kubernetes subnet manager); the node is $NODE_NAME.")
    boolean kubeSubnetMgr;

    @Option(names = "--kubeconfig-file", description = "kubeconfig for --kube-subnet-mgr (default: in-cluster service account, "
            + "else $KUBECONFIG or ~/.kube/config).")
    Path kubeconfigFile;

    @Option(names = "--kube-api-url", description = "API server URL for --kube-subnet-mgr, overriding the kubeconfig's.")
    String kubeApiUrl;

    @Option(names = "--kube-annotation-prefix", defaultValue = NodeAnnotations.DEFAULT_PREFIX,
            description = "Prefix of the node annotations that carry leases (default: ${DEFAULT-VALUE}, flannel's).")
    String kubeAnnotationPrefix;

    @Option(names = "--etcd-endpoints", description = "Keep leases in etcd at these comma-separated http:// or https:// URLs, laid out "
            + "as flannel's (config at <prefix>/config unless --net-config-path is given).")
    String etcdEndpoints;

    @Option(names = "--etcd-prefix", defaultValue = EtcdSubnetManager.DEFAULT_PREFIX,
            description = "etcd key prefix (default: ${DEFAULT-VALUE}, flannel's).")
    String etcdPrefix;

    @Option(names = "--etcd-cafile", description = "CA certificate (PEM) that signed etcd's server certificate.")
    Path etcdCaFile;

    @Option(names = "--etcd-certfile", description = "Client certificate (PEM) for etcd's --client-cert-auth.")
    Path etcdCertFile;

    @Option(names = "--etcd-keyfile", description = "The client certificate's private key (PEM: PKCS#8 or PKCS#1 RSA).")
    Path etcdKeyFile;

    @Option(names = "--etcd-username", description = "etcd user, when etcd has authentication enabled.")
    String etcdUsername;

    @Option(names = "--etcd-password", description = "That user's password (or $ETCD_PASSWORD, kept out of the process list).")
    String etcdPassword;

    @Option(names = "--ip-masq", description = "Install flannel's masquerade rules for traffic leaving the cluster network.")
    boolean ipMasq;

    @Option(names = "--ip-masq-fully-random-disable", description = "Masquerade without --random-fully (flanneld's flag).")
    boolean ipMasqRandomFullyDisable;

    @Option(names = "--iptables-forward-rules", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            description = "Accept pod traffic in FORWARD (flannel's FLANNEL-FWD chain), also without --ip-masq (default: ${DEFAULT-VALUE}).")
    boolean iptablesForwardRules;

    @Option(names = "--iptables-resync", defaultValue = "5", converter = DurationConverter.class,
            description = "How often the iptables or nftables rules are checked and repaired; seconds, as flanneld's, or 500ms, 1m (default: ${DEFAULT-VALUE}).")
    Duration iptablesResync;

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

    @Option(names = "--resync-interval", defaultValue = "2s", converter = DurationConverter.class,
            description = "How often the kernel is checked against the leases (default: ${DEFAULT-VALUE}).")
    Duration resync;

    @Option(names = {"-v", "--verbose"}, description = "Log debug detail and stack traces.")
    boolean verbose;

    public static void main(String[] args) {
        // Netty 4.2 loads the JDK Flight Recorder at start-up to offer its own events (~110 classes, ~0.1 s of a
        // restart, during which a userspace node carries no traffic); -Dio.netty.jfr.enabled=true brings them back.
        if (System.getProperty("io.netty.jfr.enabled") == null) System.setProperty("io.netty.jfr.enabled", "false");
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            System.err.println(cmd.getCommandName() + ": " + ex.getMessage());
            return 1;
        });
        System.exit(cl.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        LogSetup.init(verbose);
        NetConf conf;
        SubnetManager manager;
        try {
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
        Agent.DebugAccess debug;
        try {
            debug = debugAccess();
        } catch (IllegalArgumentException e) {
            System.err.println("weftd: " + e.getMessage());
            manager.close();
            return 1;
        }
        Agent.Settings s = new Agent.Settings(iface, publicIp == null ? null : parseIp(publicIp), subnetFile, ipMasq,
                healthzIp, healthzPort, resync, debug, iptablesResync, iptablesForwardRules, ipMasqRandomFullyDisable);
        Agent agent = new Agent(s, manager, Agent::defaultBackend);
        Thread hook = new Thread(agent::stop, "weftd-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            agent.run();
            return 0;
        } catch (ConfigException e) {
            System.err.println("weftd: bad network config: " + e.getMessage());
        } catch (BackendException | SubnetException | IllegalArgumentException e) {
            System.err.println("weftd: " + e.getMessage());
        } catch (IpException e) {
            System.err.println("weftd: kernel change failed: " + e.getMessage());
        } finally {
            manager.close();
        }
        return 1;
    }

    private SubnetManager subnetManager(NetConf conf) throws java.io.IOException {
        List<String> stores = new java.util.ArrayList<>();
        if (kubeSubnetMgr) stores.add("--kube-subnet-mgr");
        if (etcdEndpoints != null) stores.add("--etcd-endpoints");
        if (leaseDir != null) stores.add("--lease-dir");
        if (stores.size() > 1) {
            throw new IllegalArgumentException(String.join(" and ", stores) + " name " + stores.size() + " lease stores: give one");
        }
        if (!kubeSubnetMgr && (kubeconfigFile != null || kubeApiUrl != null)) {
            throw new IllegalArgumentException("--kubeconfig-file and --kube-api-url need --kube-subnet-mgr");
        }
        if (kubeSubnetMgr) {
            NodeAnnotations keys = new NodeAnnotations(kubeAnnotationPrefix);
            return new KubeSubnetManager(KubeClients.create(kubeconfigFile, kubeApiUrl), System.getenv("NODE_NAME"), conf, keys);
        }
        if (etcdEndpoints != null) {
            boolean tls = etcdCaFile != null || etcdCertFile != null || etcdKeyFile != null;
            EtcdClient etcd = new EtcdClient(EtcdClient.parseEndpoints(etcdEndpoints),
                    tls ? EtcdTls.context(etcdCaFile, etcdCertFile, etcdKeyFile) : null);
            if (etcdUsername != null) {
                etcd.withCredentials(etcdUsername, etcdPassword != null ? etcdPassword : System.getenv("ETCD_PASSWORD"));
            }
            return new EtcdSubnetManager(etcd, etcdPrefix, netConfigPath != null ? conf : null);
        }
        if (leaseDir == null) {
            throw new IllegalArgumentException("no lease store: give --kube-subnet-mgr (on Kubernetes), --etcd-endpoints URLS "
                    + "(etcd, as flannel) or --lease-dir DIR (agents sharing one machine)");
        }
        return new LocalDirSubnetManager(leaseDir, conf);
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

    private static Ipv4Address parseIp(String s) {
        try {
            return Ipv4Address.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--public-ip: " + e.getMessage());
        }
    }
}

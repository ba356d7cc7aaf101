package io.weft.agent;

import io.weft.agent.underlay.Underlay;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * weftd reads a flanneld command line as flanneld does: every flag of flannel's main.go, Go's flag syntax (-name,
 * --name, =value or the next argument, booleans only with =), strconv's booleans and integers, and FLANNELD_*
 * variables for flags not on the command line (coreos/pkg flagutil.SetFlagsFromEnv). A flag or value it cannot take
 * is one line naming it.
 */
class MainArgsTest {
    @TempDir
    Path dir;

    record Case(List<String> args, Map<String, String> env, Function<Main, Object> read, Object want) {
        @Override
        public String toString() {
            return (args.isEmpty() ? "(no flags)" : String.join(" ", args)) + (env.isEmpty() ? "" : " with " + env);
        }
    }

    static Case c(String args, Map<String, String> env, Function<Main, Object> read, Object want) {
        return new Case(args.isEmpty() ? List.of() : List.of(args.split(" ")), env, read, want);
    }

    static Stream<Arguments> flanneldCommandLines() {
        Map<String, String> none = Map.of();
        return Stream.of(
                // Go's flag package: one dash or two, =value or the next argument
                c("--iface eth0", none, m -> m.ifaces, List.of("eth0")),
                c("-iface=eth0", none, m -> m.ifaces, List.of("eth0")),
                c("-iface eth0", none, m -> m.ifaces, List.of("eth0")),
                c("--iface=eth0", none, m -> m.ifaces, List.of("eth0")),
                // flagSlice: repeated, in order (main.go tries each, the first that exists wins)
                c("-iface eth9 --iface=10.0.0.5 -iface-regex ^ens -iface-regex=^eth", none,
                        m -> List.of(m.ifaces, m.ifaceRegexes), List.of(List.of("eth9", "10.0.0.5"), List.of("^ens", "^eth"))),
                c("-iface-can-reach 10.0.0.1", none, m -> m.ifaceCanReach, "10.0.0.1"),
                // booleans: alone is true, a value only after '=', in strconv.ParseBool's forms
                c("", none, m -> List.of(m.ipMasq, m.iptablesForwardRules, m.kube.setNodeNetworkUnavailable, m.blackholeRoute),
                        List.of(false, true, true, false)),
                c("-ip-masq", none, m -> m.ipMasq, true),
                c("--ip-masq=T", none, m -> m.ipMasq, true),
                c("-ip-masq=1", none, m -> m.ipMasq, true),
                c("-ip-masq -ip-masq=false", none, m -> m.ipMasq, false),
                c("-iptables-forward-rules=false", none, m -> m.iptablesForwardRules, false),
                c("", none, m -> m.kernelWatch, true),
                c("--kernel-watch=false", none, m -> m.kernelWatch, false),
                c("--set-node-network-unavailable=F", none, m -> m.kube.setNodeNetworkUnavailable, false),
                c("-ip-masq-fully-random-disable -ip-blackhole-route", none, m -> List.of(m.ipMasqRandomFullyDisable, m.blackholeRoute),
                        List.of(true, true)),
                c("-kube-subnet-mgr=true", none, m -> m.kube.enabled, true),
                // integers as strconv.ParseInt(s, 0, 64) reads them
                c("-healthz-port=0x2a", none, m -> m.healthzPort, 42),
                c("-healthz-port 010", none, m -> m.healthzPort, 8),
                c("-healthz-port=10_267", none, m -> m.healthzPort, 10267),
                c("-iptables-resync 10 -subnet-lease-renew-margin=30", none, m -> List.of(m.iptablesResync, m.renewMarginMinutes),
                        List.of(Duration.ofSeconds(10), 30)),
                // klog's -v=N
                c("-v=2", none, m -> m.verbosity, 2),
                c("--v 3", none, m -> m.verbosity, 3),
                c("-v", none, m -> m.verbosity, 1),
                c("-v --iface eth0", none, m -> List.of(m.verbosity, m.ifaces), List.of(1, List.of("eth0"))),
                // FLANNELD_<FLAG> for every flag not on the command line; the command line wins; empty is unset
                c("", Map.of("FLANNELD_IFACE", "eth1"), m -> m.ifaces, List.of("eth1")),
                c("-iface eth0", Map.of("FLANNELD_IFACE", "eth1"), m -> m.ifaces, List.of("eth0")),
                c("", Map.of("FLANNELD_IFACE", "eth1,eth2"), m -> m.ifaces, List.of("eth1,eth2")),
                c("", Map.of("FLANNELD_IP_MASQ", "true", "FLANNELD_IPTABLES_FORWARD_RULES", "0"), m -> List.of(m.ipMasq, m.iptablesForwardRules),
                        List.of(true, false)),
                c("", Map.of("FLANNELD_KUBE_SUBNET_MGR", "1", "FLANNELD_KUBE_ANNOTATION_PREFIX", "example.com/net"),
                        m -> List.of(m.kube.enabled, m.kube.annotationPrefix), List.of(true, "example.com/net")),
                c("", Map.of("FLANNELD_ETCD_ENDPOINTS", "http://10.0.0.1:2379", "FLANNELD_ETCD_PREFIX", "/x/network"),
                        m -> List.of(m.etcd.endpoints, m.etcd.prefix), List.of("http://10.0.0.1:2379", "/x/network")),
                c("", Map.of("FLANNELD_V", "4", "FLANNELD_PUBLIC_IP", ""), m -> List.of(m.verbosity, String.valueOf(m.publicIp)),
                        List.of(4, "null")),
                c("", Map.of("FLANNELD_LEASE_DIR", "/tmp/leases", "FLANNELD_RESYNC_INTERVAL", "1s"), m -> List.of(m.leaseDir, m.resync),
                        List.of(Path.of("/tmp/leases"), Duration.ofSeconds(1)))
        ).map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flanneldCommandLines")
    void flanneldsSyntaxAndEnvironment(Case c) {
        // flannel main.go (flannelFlags, flagutil.SetFlagsFromEnv(flannelFlags, "FLANNELD"))
        Main m = Main.parse(c.args().toArray(String[]::new), c.env());
        assertEquals(c.want(), c.read().apply(m));
    }

    @Test
    void everyFlagOfFlanneldsMainGoIsAccepted() {
        // the flags flannel's main.go registers (init), with values as its DaemonSet and docs give them
        String[] flanneld = {
                "--etcd-endpoints=http://10.0.0.1:2379", "--etcd-prefix=/coreos.com/network", "--etcd-keyfile=/k.pem",
                "--etcd-certfile=/c.pem", "--etcd-cafile=/ca.pem", "--etcd-username=u", "--etcd-password=p",
                "--iface=eth0", "--iface-regex=^eth", "--iface-can-reach=10.0.0.1", "--subnet-file=/run/flannel/subnet.env",
                "--public-ip=10.0.0.5", "--subnet-lease-renew-margin=60", "--ip-masq", "--ip-masq-fully-random-disable",
                "--kube-subnet-mgr", "--kube-api-url=https://10.0.0.1:6443", "--kube-annotation-prefix=flannel.alpha.coreos.com",
                "--kubeconfig-file=/etc/kube.conf", "--healthz-ip=0.0.0.0", "--healthz-port=10267", "--iptables-resync=5",
                "--iptables-forward-rules=true", "--ip-blackhole-route", "--net-config-path=/etc/kube-flannel/net-conf.json",
                "--set-node-network-unavailable=true", "-v=2"};
        Main m = Main.parse(flanneld, Map.of());
        Agent.Settings s = m.settings();
        assertEquals(new Underlay.Choice(List.of("eth0"), List.of("^eth"), "10.0.0.1"), s.iface());
        assertEquals(Duration.ofMinutes(60), s.renewMargin());
        assertEquals(Duration.ofSeconds(5), s.iptablesResync());
        assertTrue(s.ipMasq() && s.ipMasqRandomFullyDisable() && s.iptablesForwardRules() && s.blackholeRoute());
        assertEquals("10.0.0.5", s.publicIp().toString());
    }

    /** weftd's stderr and exit code for {@code args} (and {@code env}); none of these reaches the point of changing the node. */
    private String refused(List<String> args, Map<String, String> env) {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        try {
            assertEquals(1, Main.run(args.toArray(String[]::new), env));
        } finally {
            System.setErr(err);
        }
        String out = buf.toString().strip();
        assertEquals(1, out.lines().count(), "one line: " + out);
        return out;
    }

    private String refused(String... args) throws Exception {
        Path conf = dir.resolve("net-conf.json");
        Files.writeString(conf, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--net-config-path", conf.toString()));
        return refused(all, Map.of());
    }

    /**
     * weftd registers its subcommands only when the command line names one or asks for help (a starting agent skips
     * building their option models): --help still lists them, and a subcommand's mistake is still one line.
     */
    @Test
    void subcommandsAreThereWhenNamed() {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(0, Main.run(new String[] {"-help"}, Map.of()));
        } finally {
            System.setOut(out);
        }
        String help = buf.toString();
        for (String sub : List.of("capture", "status", "trace")) assertTrue(help.contains("\n  " + sub + " "), help);
        assertFalse(help.contains("aot-training"), help);
        assertEquals("status: Unknown option: '--no-such'", refused(List.of("status", "--no-such"), Map.of()));
        assertEquals("weftd: Unmatched argument at index 0: 'stauts'", refused(List.of("stauts"), Map.of()));
    }

    @Test
    void aFlagOrValueGoWouldRefuseIsOneLineNamingIt() throws Exception {
        assertEquals("weftd: flag provided but not defined: -ifaces (weftd --help lists them)", refused("-ifaces", "eth0"));
        assertEquals("weftd: invalid boolean value \"maybe\" for -ip-masq", refused("-ip-masq=maybe"));
        assertEquals("weftd: invalid value \"five\" for -healthz-port: not an integer", refused("-healthz-port", "five"));
        assertEquals("weftd: flag needs an argument: -iface", refused(List.of("-iface"), Map.of()));
        assertEquals("weftd: bad flag syntax: ---iface", refused("---iface"));
        assertEquals("weftd: invalid value \"x\" for FLANNELD_HEALTHZ_PORT: not an integer", refused(List.of(), Map.of("FLANNELD_HEALTHZ_PORT", "x")));
    }

    @Test
    void publicIpv6IsReadAsFlanneldReadsIt() throws Exception {
        Agent.Settings s = Main.parse(new String[] {"--lease-dir", dir.toString(), "-public-ipv6=FD00:0::5"}, Map.of()).settings();
        assertEquals(io.weft.core.net.Ipv6Address.parse("fd00::5"), s.publicIpv6());
        Agent.Settings env = Main.parse(new String[] {"--lease-dir", dir.toString()}, Map.of("FLANNELD_PUBLIC_IPV6", "fd00::6")).settings();
        assertEquals(io.weft.core.net.Ipv6Address.parse("fd00::6"), env.publicIpv6());
        assertEquals(null, Main.parse(new String[] {"--lease-dir", dir.toString()}, Map.of()).settings().publicIpv6());
    }

    @Test
    void flagsWeftCannotHonourAreRefusedWithTheReason() throws Exception {
        assertTrue(refused("--lease-dir", dir.toString(), "-public-ipv6=10.0.0.5").startsWith("weftd: --public-ipv6: not an IPv6 address"));
        assertTrue(refused("--lease-dir", dir.toString(), "-vmodule=kube=4").startsWith("weftd: --vmodule: weft logs at one level"));
        assertTrue(refused("--lease-dir", dir.toString(), "-log_backtrace_at=kube.go:10").startsWith("weftd: --log_backtrace_at: "));
        // main.go: "Invalid subnet-lease-renew-margin option, out of acceptable range"
        assertTrue(refused("--lease-dir", dir.toString(), "-subnet-lease-renew-margin=0").startsWith("weftd: --subnet-lease-renew-margin 0: out of range"));
        assertTrue(refused("--lease-dir", dir.toString(), "-subnet-lease-renew-margin=1440").startsWith("weftd: --subnet-lease-renew-margin 1440:"));
        assertTrue(refused("--lease-dir", dir.toString(), "-iptables-resync=0").startsWith("weftd: --iptables-resync 0:"));
    }

    @Test
    void twoLeaseStoresAreRefused() throws Exception {
        assertEquals("weftd: --kube-subnet-mgr and --lease-dir name 2 lease stores: give one",
                refused("--kube-subnet-mgr", "--lease-dir", dir.toString()));
        assertEquals("weftd: --etcd-endpoints and --lease-dir name 2 lease stores: give one",
                refused("--etcd-endpoints", "http://127.0.0.1:2379", "--lease-dir", dir.toString()));
    }

    @Test
    void withoutAStoreFlagLeasesAreInEtcdAtFlannelsDefaultEndpoints() {
        // main.go: --etcd-endpoints defaults to http://127.0.0.1:4001,http://127.0.0.1:2379 and etcd is the store
        // unless --kube-subnet-mgr; no etcd listens there in this test, and the config comes from etcd, so nothing runs
        String out = refused(List.of("--subnet-file", dir.resolve("subnet.env").toString()), Map.of());
        assertTrue(out.startsWith("weftd: cannot reach etcd at http://127.0.0.1:"), out);
    }

    @Test
    void badEtcdEndpointsAreNamed() throws Exception {
        assertEquals("weftd: --etcd-endpoints: 'etcd-1' is not a URL like http://10.0.0.1:2379", refused("--etcd-endpoints", "etcd-1"));
        assertEquals("weftd: --etcd-endpoints: ftp://10.0.0.1:2379: must be http:// or https://",
                refused("--etcd-endpoints", "ftp://10.0.0.1:2379"));
        assertEquals("weftd: --etcd-certfile and --etcd-keyfile go together: give both or neither",
                refused("--etcd-endpoints", "https://10.0.0.1:2379", "--etcd-certfile", dir.resolve("c.pem").toString()));
        assertTrue(refused("--etcd-endpoints", "https://10.0.0.1:2379", "--etcd-cafile", dir.resolve("none.pem").toString())
                .startsWith("weftd: --etcd-cafile " + dir.resolve("none.pem") + ": cannot read it"));
    }

    @Test
    void anUnreadableKubeconfigIsNamed() throws Exception {
        String out = refused("--kube-subnet-mgr", "--kubeconfig-file", dir.resolve("missing.yaml").toString());
        assertTrue(out.startsWith("weftd: --kubeconfig-file " + dir.resolve("missing.yaml") + ": cannot read it"), out);
    }

    @Test
    void theNodeNameComesFromTheEnvironmentAsFlanneldsDoes() throws Exception {
        // kube.go NewSubnetManager: without NODE_NAME, POD_NAME and POD_NAMESPACE must both be set
        Path conf = dir.resolve("net-conf.json");
        Files.writeString(conf, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        String out = refused(List.of("--kube-subnet-mgr", "--kube-api-url", "http://127.0.0.1:1", "--net-config-path", conf.toString()),
                Map.of("POD_NAME", "kube-flannel-ds-x"));
        assertTrue(out.startsWith("weftd: NODE_NAME is not set, nor POD_NAME and POD_NAMESPACE"), out);
    }

    @Test
    void remoteDebugAccessNeedsAuthentication() throws Exception {
        String leases = dir.resolve("leases").toString();
        assertTrue(refused("--lease-dir", leases, "--debug-listen", "0.0.0.0:10268").startsWith(
                "weftd: --debug-listen serves traffic captures to other machines, so it needs authentication: give "
                        + "--debug-tls-cert-file, --debug-tls-key-file and --debug-client-ca-file"));
        assertEquals("weftd: --debug-tls-cert-file, --debug-tls-key-file and --debug-client-ca-file go with --debug-listen "
                + "ADDRESS:PORT", refused("--lease-dir", leases, "--debug-client-ca-file", dir.resolve("ca.pem").toString()));
        String f = dir.resolve("x.pem").toString();
        assertEquals("weftd: --debug-listen 10268: give ADDRESS:PORT, e.g. 0.0.0.0:10268", refused("--lease-dir", leases,
                "--debug-listen", "10268", "--debug-tls-cert-file", f, "--debug-tls-key-file", f, "--debug-client-ca-file", f));
        assertTrue(refused("--lease-dir", leases, "--debug-listen", "0.0.0.0:10268", "--debug-tls-cert-file", f,
                "--debug-tls-key-file", f, "--debug-client-ca-file", f).startsWith("weftd: --debug-client-ca-file " + f
                + ": cannot read it"));
    }
}

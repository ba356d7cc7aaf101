package io.weft.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.weft.core.config.NetConf;
import io.weft.core.config.NetConfParser;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * k8s-manifests/weft.yaml agrees with the code it deploys: weftd accepts its arguments, the config parses, the
 * mounts are where weftd and the CNI plugin look, RBAC allows what the Kubernetes subnet manager does, and the
 * installer it runs is where the image puts it. (No API server can run here to apply it; see ENVIRONMENT.md.)
 */
class ManifestTest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static List<HasMetadata> docs;

    @BeforeAll
    static void load() throws Exception {
        try (KubernetesClient c = new KubernetesClientBuilder().build();
             InputStream in = Files.newInputStream(ROOT.resolve("k8s-manifests/weft.yaml"))) {
            docs = c.load(in).items(); // parsed here, nothing is sent
        }
    }

    static <T extends HasMetadata> T one(Class<T> kind) {
        List<T> of = docs.stream().filter(kind::isInstance).map(kind::cast).toList();
        assertEquals(1, of.size(), kind.getSimpleName() + " in weft.yaml");
        return of.get(0);
    }

    static Container container(PodSpec spec, String name, boolean init) {
        return (init ? spec.getInitContainers() : spec.getContainers()).stream().filter(c -> c.getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no container " + name));
    }

    @Test
    void theConfigMapsNetConfIsValid() {
        ConfigMap cm = one(ConfigMap.class);
        NetConf conf = NetConfParser.parse(cm.getData().get("net-conf.json"));
        assertEquals("10.244.0.0/16", conf.network().toString());
    }

    @Test
    void weftdAcceptsItsArgumentsAndFindsItsFiles() {
        DaemonSet ds = one(DaemonSet.class);
        PodSpec spec = ds.getSpec().getTemplate().getSpec();
        assertTrue(spec.getHostNetwork(), "hostNetwork: the agent programs the node's own namespace");
        Container weftd = container(spec, "weftd", false);

        Main main = Main.parse(weftd.getArgs().toArray(String[]::new), java.util.Map.of());
        assertTrue(main.kube.enabled, "--kube-subnet-mgr");
        EnvVar node = weftd.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME")).findFirst().orElseThrow();
        assertEquals("spec.nodeName", node.getValueFrom().getFieldRef().getFieldPath());
        assertEquals(main.healthzPort, weftd.getReadinessProbe().getHttpGet().getPort().getIntVal());
        assertEquals(main.healthzPort, weftd.getLivenessProbe().getHttpGet().getPort().getIntVal());
        assertEquals("/readyz", weftd.getReadinessProbe().getHttpGet().getPath());

        Set<String> mounts = Set.copyOf(weftd.getVolumeMounts().stream().map(VolumeMount::getMountPath)
                .map(p -> p.endsWith("/") ? p.substring(0, p.length() - 1) : p).toList());
        assertTrue(mounts.contains(Main.DEFAULT_NET_CONF.getParent().toString()), "net-conf.json where weftd reads it: " + mounts);
        assertTrue(mounts.contains(main.subnetFile.getParent().toString()), "subnet.env where the CNI plugin reads it: " + mounts);
        assertTrue(mounts.contains(Path.of(main.debugSocket).getParent().toString()),
                "the debug socket's directory comes from the host, so a second agent on the node finds the first: " + mounts);
        assertEquals(null, main.debugListen, "remote debug access stays off unless the operator turns it on");
        assertTrue(weftd.getSecurityContext().getCapabilities().getAdd().contains("NET_ADMIN"));
    }

    @Test
    void theCniInstallerIsWhereTheImagePutsIt() throws Exception {
        PodSpec spec = one(DaemonSet.class).getSpec().getTemplate().getSpec();
        Container install = container(spec, "install-cni", true);
        assertEquals("/opt/weft/cni/install-cni.sh", install.getCommand().get(0));
        assertEquals(container(spec, "weftd", false).getImage(), install.getImage(), "one image");
        String dockerfile = Files.readString(ROOT.resolve("docker/Dockerfile"));
        String build = Files.readString(ROOT.resolve("docker/build-image.sh"));
        assertTrue(dockerfile.contains("COPY cni/ /opt/weft/cni/"), dockerfile);
        assertTrue(build.contains("cni-plugin/target/install-cni.sh \"$ctx/cni/\""), "build-image.sh puts the installer in cni/");
        assertTrue(dockerfile.contains("ENTRYPOINT [\"/opt/weft/weftd\"]"), "the container's args go to weftd");
    }

    @Test
    void rbacIsFlannelsClusterRoleExactly() {
        // flannel's kube-flannel.yml ClusterRole: weft writes only through nodes/status, as flannel's kube.go does
        // (KubeSubnetManagerTest runs the agent against these rules), so it needs nothing more
        ClusterRole role = one(ClusterRole.class);
        Set<String> granted = new java.util.TreeSet<>();
        for (PolicyRule r : role.getRules()) {
            assertEquals(List.of(""), r.getApiGroups(), "core group only");
            for (String res : r.getResources()) for (String verb : r.getVerbs()) granted.add(res + ":" + verb);
        }
        assertEquals(new java.util.TreeSet<>(Set.of("pods:get", "nodes:get", "nodes:list", "nodes:watch", "nodes/status:patch")), granted);
        ClusterRoleBinding binding = one(ClusterRoleBinding.class);
        ServiceAccount sa = one(ServiceAccount.class);
        assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
        assertEquals(sa.getMetadata().getName(), binding.getSubjects().get(0).getName());
        assertEquals(sa.getMetadata().getNamespace(), binding.getSubjects().get(0).getNamespace());
        assertEquals(sa.getMetadata().getName(), one(DaemonSet.class).getSpec().getTemplate().getSpec().getServiceAccountName());
    }
}

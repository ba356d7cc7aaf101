package io.weft.agent.subnet.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Asks the API server for {@code /version} every few seconds and, when it answers again after it did not, has the
 * Node informer list and watch afresh. fabric8's client over the JDK's WebSocket can keep a watch whose server went
 * away half-closed (the socket in CLOSE-WAIT, the informer still "watching"), and nothing on that connection ever
 * tells it: the informer would miss every Node change until the agent restarts. client-go, which flannel uses,
 * notices through HTTP/2 pings; fabric8's JDK client sends none. {@code /version} is readable by every client (the
 * system:public-info-viewer role), costs the API server no etcd read, and any HTTP answer counts as reachable.
 */
final class ApiOutageWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ApiOutageWatch.class.getName());

    private final KubernetesClient client;
    private final Runnable relist;
    private final ScheduledExecutorService timer;
    private boolean down;

    ApiOutageWatch(KubernetesClient client, Duration every, Runnable relist) {
        this.client = client;
        this.relist = relist;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weft-kube-outage");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void check() {
        if (!reachable()) {
            if (!down) LOG.warning("the Kubernetes API server does not answer; routes stay as they are until it is back");
            down = true;
            return;
        }
        if (!down) return;
        try {
            relist.run();
            down = false;
            LOG.info("the Kubernetes API server answers again: Nodes listed and watched afresh");
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "listing Nodes after the outage failed; trying again", e);
        }
    }

    private boolean reachable() {
        try {
            client.getKubernetesVersion();
            return true;
        } catch (KubernetesClientException e) {
            return e.getCode() > 0; // an HTTP answer, even an error, means the server is there
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

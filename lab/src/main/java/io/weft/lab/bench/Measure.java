package io.weft.lab.bench;

import io.weft.core.iproute.IpRunner;
import io.weft.lab.cluster.LabCluster;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Throughput and latency between two pods, with iperf3 and ping run inside their namespaces. */
public final class Measure {
    private Measure() {}

    /** TCP goodput from client to server, as iperf3's receiver reports it. */
    public static double iperfGbps(LabCluster.Pod server, LabCluster.Pod client, int streams, int seconds) throws Exception {
        Process srv = new ProcessBuilder("ip", "netns", "exec", server.netns(), "iperf3", "-s", "-1", "-p", "5201")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Thread.sleep(300);
            IpRunner.Result r = IpRunner.run(List.of("ip", "netns", "exec", client.netns(), "iperf3", "-c",
                    server.ip().toString(), "-p", "5201", "-t", Integer.toString(seconds), "-P", Integer.toString(streams), "-J"), null);
            Matcher m = Pattern.compile("\"sum_received\":\\s*\\{[^}]*\"bits_per_second\":\\s*([\\d.e+]+)").matcher(r.stdout());
            if (!m.find()) throw new IllegalStateException("iperf3 failed: " + r.stderr() + r.stdout());
            return Double.parseDouble(m.group(1)) / 1e9;
        } finally {
            srv.destroyForcibly();
            srv.waitFor();
        }
    }

    /** Mean ping RTT over 50 echoes 20 ms apart. */
    public static double rttMicros(LabCluster.Pod from, LabCluster.Pod to) {
        IpRunner.Result r = IpRunner.run(List.of("ip", "netns", "exec", from.netns(), "ping", "-c", "50", "-i", "0.02", "-q",
                to.ip().toString()), null);
        Matcher m = Pattern.compile("= [\\d.]+/([\\d.]+)/").matcher(r.stdout());
        if (!m.find()) throw new IllegalStateException("ping failed: " + r.stdout() + r.stderr());
        return Double.parseDouble(m.group(1)) * 1000;
    }

}

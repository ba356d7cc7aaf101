package io.weft.lab.peers;

import io.weft.agent.subnet.etcd.EtcdClient;
import java.net.URI;
import java.util.List;

/**
 * Stores or removes {@link FakePeers} in etcd as flannel keeps leases ({@code <prefix>/subnets/<key>}, one etcd lease
 * for all), run as a child JVM in the namespace where etcd listens: {@code put|del URL COUNT FIRST}. Prints
 * {@code DONE <epoch ms>} when the last key is written, the moment a convergence time counts from.
 */
public final class EtcdPeers {
    public static final String PREFIX = "/coreos.com/network/subnets/";

    public static void main(String[] a) throws Exception {
        boolean put = a[0].equals("put");
        int count = Integer.parseInt(a[2]);
        int first = Integer.parseInt(a[3]);
        try (EtcdClient etcd = new EtcdClient(List.of(URI.create(a[1])))) {
            long lease = put ? etcd.grantLease(3600) : 0;
            for (int i = first; i < first + count; i++) {
                String key = PREFIX + FakePeers.subnet(i).toKey();
                if (put) etcd.put(key, FakePeers.record(i).toJson(), lease);
                else etcd.delete(key);
            }
        }
        System.out.println("DONE " + System.currentTimeMillis());
    }
}

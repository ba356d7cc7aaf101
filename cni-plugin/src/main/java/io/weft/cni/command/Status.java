package io.weft.cni.command;

import io.weft.cni.bridge.PodNetwork;
import io.weft.cni.skel.CniEnv;
import io.weft.cni.skel.Skel;
import io.weft.cni.spec.CniException;
import io.weft.cni.spec.NetConf;

/** STATUS: ready once subnet.env is there and valid (code 50 until then: the agent has not given the node a subnet). */
public final class Status implements Skel.Command {
    @Override
    public String run(CniEnv env, NetConf conf) {
        PodNetwork.read(conf, CniException.UNAVAILABLE);
        return null;
    }
}

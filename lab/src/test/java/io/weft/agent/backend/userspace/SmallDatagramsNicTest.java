package io.weft.agent.backend.userspace;

/** {@link SmallDatagramsTest} on the NIC-like underlay: GRO on receive merges small datagrams into trains. */
class SmallDatagramsNicTest extends SmallDatagramsTest {
    @Override
    boolean nicLike() {
        return true;
    }
}

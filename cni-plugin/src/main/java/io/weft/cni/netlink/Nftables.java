package io.weft.cni.netlink;

import io.weft.core.net.IpAddress;
import io.weft.core.net.IpCidr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * nf_tables over its netlink socket, in the node's network namespace: a nat chain hooked at
 * postrouting in a table of the plugin's own, and in it one masquerade rule per pod address, tagged with a comment
 * as nft(8) stores comments (rule user data), so {@code nft list ruleset} shows them and a later call finds them
 * without knowing the address. Changes go in one batch, which the kernel applies whole or not at all.
 */
public final class Nftables implements AutoCloseable {
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int NFNL_MSG_BATCH_BEGIN = 0x10;
    private static final int NFNL_MSG_BATCH_END = 0x11;
    private static final int NFT_MSG_NEWTABLE = 0;
    private static final int NFT_MSG_NEWCHAIN = 3;
    private static final int NFT_MSG_NEWRULE = 6;
    private static final int NFT_MSG_GETRULE = 7;
    private static final int NFT_MSG_DELRULE = 8;
    private static final int NFPROTO_IPV4 = 2;
    private static final int NFPROTO_IPV6 = 10;
    private static final int NLM_F_REQUEST = NetlinkSocket.NLM_F_REQUEST;
    private static final int NLM_F_ACK = NetlinkSocket.NLM_F_ACK;
    private static final int NLM_F_CREATE = 0x400;
    private static final int NLM_F_APPEND = 0x800;
    private static final int NFTA_TABLE_NAME = 1;
    private static final int NFTA_CHAIN_TABLE = 1;
    private static final int NFTA_CHAIN_NAME = 3;
    private static final int NFTA_CHAIN_HOOK = 4;
    private static final int NFTA_CHAIN_TYPE = 7;
    private static final int NFTA_HOOK_HOOKNUM = 1;
    private static final int NFTA_HOOK_PRIORITY = 2;
    private static final int NFTA_RULE_TABLE = 1;
    private static final int NFTA_RULE_CHAIN = 2;
    private static final int NFTA_RULE_HANDLE = 3;
    private static final int NFTA_RULE_EXPRESSIONS = 4;
    private static final int NFTA_RULE_USERDATA = 7;
    private static final int NFTA_LIST_ELEM = 1;
    private static final int NFTA_EXPR_NAME = 1;
    private static final int NFTA_EXPR_DATA = 2;
    private static final int NFTA_PAYLOAD_DREG = 1;
    private static final int NFTA_PAYLOAD_BASE = 2;
    private static final int NFTA_PAYLOAD_OFFSET = 3;
    private static final int NFTA_PAYLOAD_LEN = 4;
    private static final int NFT_PAYLOAD_NETWORK_HEADER = 1;
    private static final int NFTA_CMP_SREG = 1;
    private static final int NFTA_CMP_OP = 2;
    private static final int NFTA_CMP_DATA = 3;
    private static final int NFT_CMP_EQ = 0;
    private static final int NFT_CMP_NEQ = 1;
    private static final int NFTA_BITWISE_SREG = 1;
    private static final int NFTA_BITWISE_DREG = 2;
    private static final int NFTA_BITWISE_LEN = 3;
    private static final int NFTA_BITWISE_MASK = 4;
    private static final int NFTA_BITWISE_XOR = 5;
    private static final int NFTA_DATA_VALUE = 1;
    private static final int NFT_REG_1 = 1;
    private static final int NF_INET_POST_ROUTING = 4;
    private static final int NF_IP_PRI_NAT_SRC = 100;
    /** libnftnl's user data type for a rule's comment: a NUL-terminated string. */
    private static final int NFTNL_UDATA_RULE_COMMENT = 0;

    private final NetlinkSocket s;
    private final NlMessage m = new NlMessage();
    private final int[] at = new int[16];

    private Nftables(NetlinkSocket s) {
        this.s = s;
    }

    /** nf_tables in the namespace at {@code netnsPath}, or in this process's own (the node's) when null. */
    public static Nftables open(String netnsPath) {
        return new Nftables(NetlinkSocket.open(netnsPath, Native.NETLINK_NETFILTER, "an nftables netlink"));
    }

    private static int family(int bits) {
        return bits == 32 ? NFPROTO_IPV4 : NFPROTO_IPV6;
    }

    private static String familyName(int bits) {
        return bits == 32 ? "ip" : "ip6";
    }

    /**
     * In one batch: table {@code table} of the address's family and its nat chain {@code chain} hooked at
     * postrouting, srcnat priority (both kept if there already), and at the chain's end the rule
     * {@code ip saddr POD ip daddr != CLUSTER masquerade comment "COMMENT"} (ip6 for an IPv6 pod).
     */
    public void appendMasquerade(String table, String chain, IpAddress pod, IpCidr cluster, String comment) {
        int bits = pod.bits();
        int family = family(bits);
        String fam = familyName(bits);
        int first = s.nextSeq();
        m.begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, first).nfgen(0, NFNL_SUBSYS_NFTABLES);
        int t = s.nextSeq();
        m.append(type(NFT_MSG_NEWTABLE), NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, t).nfgen(family, 0)
                .attrString(NFTA_TABLE_NAME, table);
        m.append(type(NFT_MSG_NEWCHAIN), NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, s.nextSeq()).nfgen(family, 0)
                .attrString(NFTA_CHAIN_TABLE, table).attrString(NFTA_CHAIN_NAME, chain)
                .nestFlagged(NFTA_CHAIN_HOOK).attrBe32(NFTA_HOOK_HOOKNUM, NF_INET_POST_ROUTING)
                .attrBe32(NFTA_HOOK_PRIORITY, NF_IP_PRI_NAT_SRC).end()
                .attrString(NFTA_CHAIN_TYPE, "nat");
        int r = s.nextSeq();
        m.append(type(NFT_MSG_NEWRULE), NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND, r).nfgen(family, 0)
                .attrString(NFTA_RULE_TABLE, table).attrString(NFTA_RULE_CHAIN, chain).nestFlagged(NFTA_RULE_EXPRESSIONS);
        int len = bits / 8;
        int saddr = bits == 32 ? 12 : 8;
        int daddr = bits == 32 ? 16 : 24;
        payload(saddr, len);
        cmp(NFT_CMP_EQ, pod.toBytes());
        payload(daddr, len);
        byte[] mask = new byte[len];
        for (int i = 0; i < cluster.prefix(); i++) mask[i / 8] |= (byte) (0x80 >>> (i % 8));
        m.nestFlagged(NFTA_LIST_ELEM).attrString(NFTA_EXPR_NAME, "bitwise").nestFlagged(NFTA_EXPR_DATA)
                .attrBe32(NFTA_BITWISE_SREG, NFT_REG_1).attrBe32(NFTA_BITWISE_DREG, NFT_REG_1).attrBe32(NFTA_BITWISE_LEN, len)
                .nestFlagged(NFTA_BITWISE_MASK).attrBytes(NFTA_DATA_VALUE, mask).end()
                .nestFlagged(NFTA_BITWISE_XOR).attrBytes(NFTA_DATA_VALUE, new byte[len]).end().end().end();
        cmp(NFT_CMP_NEQ, cluster.network().toBytes());
        m.nestFlagged(NFTA_LIST_ELEM).attrString(NFTA_EXPR_NAME, "masq").end();
        m.end().attrBytes(NFTA_RULE_USERDATA, userdata(comment));
        m.append(NFNL_MSG_BATCH_END, NLM_F_REQUEST, s.nextSeq()).nfgen(0, NFNL_SUBSYS_NFTABLES);
        String rule = "nft add rule " + fam + " " + table + " " + chain + " " + fam + " saddr " + pod + " " + fam + " daddr != "
                + cluster + " masquerade comment \"" + comment + "\"";
        s.batch(m, t, r, new String[] {"nft add table " + fam + " " + table,
                "nft add chain " + fam + " " + table + " " + chain + " { type nat hook postrouting priority srcnat; }", rule});
    }

    private void payload(int offset, int len) {
        m.nestFlagged(NFTA_LIST_ELEM).attrString(NFTA_EXPR_NAME, "payload").nestFlagged(NFTA_EXPR_DATA)
                .attrBe32(NFTA_PAYLOAD_DREG, NFT_REG_1).attrBe32(NFTA_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER)
                .attrBe32(NFTA_PAYLOAD_OFFSET, offset).attrBe32(NFTA_PAYLOAD_LEN, len).end().end();
    }

    private void cmp(int op, byte[] value) {
        m.nestFlagged(NFTA_LIST_ELEM).attrString(NFTA_EXPR_NAME, "cmp").nestFlagged(NFTA_EXPR_DATA)
                .attrBe32(NFTA_CMP_SREG, NFT_REG_1).attrBe32(NFTA_CMP_OP, op)
                .nestFlagged(NFTA_CMP_DATA).attrBytes(NFTA_DATA_VALUE, value).end().end().end();
    }

    private static byte[] userdata(String comment) {
        byte[] c = comment.getBytes(StandardCharsets.UTF_8);
        byte[] u = new byte[c.length + 3];
        u[0] = NFTNL_UDATA_RULE_COMMENT;
        u[1] = (byte) (c.length + 1);
        System.arraycopy(c, 0, u, 2, c.length);
        return u;
    }

    private static int type(int msg) {
        return NFNL_SUBSYS_NFTABLES << 8 | msg;
    }

    /**
     * Deletes, in one batch, every rule of {@code table}/{@code chain} of both families whose comment is
     * {@code comment}; a missing table or chain holds none. Returns how many went.
     */
    public int deleteByComment(String table, String chain, String comment) {
        int n = 0;
        for (int bits : new int[] {32, 128}) {
            List<Long> handles = handles(bits, table, chain, comment);
            if (handles.isEmpty()) continue;
            int family = family(bits);
            m.begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, s.nextSeq()).nfgen(0, NFNL_SUBSYS_NFTABLES);
            int first = -1;
            int last = -1;
            String[] whats = new String[handles.size()];
            for (int i = 0; i < handles.size(); i++) {
                last = s.nextSeq();
                if (first < 0) first = last;
                m.append(type(NFT_MSG_DELRULE), NLM_F_REQUEST | NLM_F_ACK, last).nfgen(family, 0)
                        .attrString(NFTA_RULE_TABLE, table).attrString(NFTA_RULE_CHAIN, chain).attrBe64(NFTA_RULE_HANDLE, handles.get(i));
                whats[i] = "nft delete rule " + familyName(bits) + " " + table + " " + chain + " handle " + handles.get(i);
            }
            m.append(NFNL_MSG_BATCH_END, NLM_F_REQUEST, s.nextSeq()).nfgen(0, NFNL_SUBSYS_NFTABLES);
            s.batch(m, first, last, whats);
            n += handles.size();
        }
        return n;
    }

    /** The handles of the chain's rules whose comment is {@code comment}. */
    private List<Long> handles(int bits, String table, String chain, String comment) {
        int seq = s.nextSeq();
        m.begin(type(NFT_MSG_GETRULE), NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP, seq).nfgen(family(bits), 0)
                .attrString(NFTA_RULE_TABLE, table).attrString(NFTA_RULE_CHAIN, chain);
        String what = "nft list chain " + familyName(bits) + " " + table + " " + chain;
        s.dump(m, seq, what);
        byte[] want = userdata(comment);
        List<Long> out = new ArrayList<>();
        byte[] in = s.in;
        for (int msg; (msg = s.nextDumped(what, NetlinkException.ENOENT)) >= 0; ) {
            NlMessage.attrs(in, msg + NlMessage.HEADER + 4, msg + NlMessage.get32(in, msg), at);
            int u = at[NFTA_RULE_USERDATA];
            int h = at[NFTA_RULE_HANDLE];
            if (u == 0 || h == 0 || at[NFTA_RULE_CHAIN] == 0 || !NlMessage.string(in, at[NFTA_RULE_CHAIN]).equals(chain)) continue;
            if (java.util.Arrays.equals(in, u, u + NlMessage.attrLen(in, u), want, 0, want.length)) {
                out.add(NlMessage.getBe64(in, h));
            }
        }
        return out;
    }

    @Override
    public void close() {
        s.close();
    }
}

package io.weft.agent.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which firewall rules weftd status reports as dropping the VXLAN port: iptables-save and nft spellings. */
class VxlanPortRulesTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            -p udp -m udp --dport 8472 -j DROP                    | true
            -p udp -m multiport --dports 53,8472 -j REJECT        | true
            -s 10.0.0.0/8 -p udp -m udp --sport 8472 -j DROP      | true
            -p udp -m udp --dport 84720 -j DROP                   | false
            -p tcp -m tcp --dport 18472 -j DROP                   | false
            udp dport 8472 drop                                   | true
            udp dport { 53, 8472 } counter packets 3 bytes 9 drop | true
            udp dport 4789 drop                                   | false
            """)
    void namesTheVxlanPort(String rule, boolean mentions) {
        assertEquals(mentions, TrafficRules.mentionsPort(rule, 8472));
    }
}

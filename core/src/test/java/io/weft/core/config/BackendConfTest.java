package io.weft.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Backend.MTU is the underlay's MTU, as in flannel: pkg/backend/vxlan/vxlan.go RegisterNetwork defaults cfg.MTU to
 * the external interface's MTU and lets Backend.MTU replace it, and device.go newVXLANDevice gives the device
 * {@code MTU - 50}, which network.MTU() hands to subnet.env as FLANNEL_MTU.
 */
class BackendConfTest {
    @ParameterizedTest(name = "Backend.MTU {0}, interface MTU {1} -> device and FLANNEL_MTU {2}")
    @CsvSource({
            "0,    1500, 1450",
            "0,    9001, 8951",
            "1400, 1500, 1350",
            "9000, 1500, 8950",
            "1450, 1450, 1400",
    })
    void theOverlayGetsTheUnderlayMtuMinusTheVxlanHeaders(int backendMtu, int interfaceMtu, int overlay) {
        BackendConf conf = new BackendConf(BackendConf.VXLAN, 1, BackendConf.DEFAULT_PORT, false, backendMtu, BackendConf.KERNEL);
        assertEquals(overlay, conf.overlayMtu(interfaceMtu));
        String json = "{\"Network\": \"10.244.0.0/16\", \"Backend\": {\"Type\": \"vxlan\"" + (backendMtu == 0 ? "" : ", \"MTU\": " + backendMtu) + "}}";
        assertEquals(overlay, NetConfParser.parse(json).backend().overlayMtu(interfaceMtu));
    }
}

package io.weft.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** /metrics as a Prometheus scraper reads it: one registry, every source, label values escaped. */
class MetricsTest {

    @Test
    void labelValuesAndHelpAreEscapedAsTheTextFormatRequires() {
        StringBuilder sb = new StringBuilder();
        new MetricsWriter(sb).counter("weft_x_total", "a \\ help\nline")
                .sample("weft_x_total", 3, "device", "flannel.1", "features", "a \"quoted\" \\ value\nnext");
        assertEquals("""
                # HELP weft_x_total a \\\\ help\\nline
                # TYPE weft_x_total counter
                weft_x_total{device="flannel.1",features="a \\"quoted\\" \\\\ value\\nnext"} 3
                """, sb.toString());
    }

    @Test
    void aLabelWithoutValueIsLeftOutAndNoLabelsMeansNoBraces() {
        StringBuilder sb = new StringBuilder();
        new MetricsWriter(sb).sample("a", 1, "peer", null, "reason", "bad_mac").sample("b", 2);
        assertEquals("a{reason=\"bad_mac\"} 1\nb 2\n", sb.toString());
    }

    @Test
    void theRegistryRendersTheAgentsCountersAndEveryRegisteredSource() {
        Metrics m = new Metrics();
        m.ready.set(1);
        m.add(w -> w.counter("weft_backend_thing_total", "A backend's counter.", 7, "device", "flannel.1"));
        String text = m.render();
        assertTrue(text.contains("\nweft_ready 1\n"), text);
        assertTrue(text.contains("weft_backend_thing_total{device=\"flannel.1\"} 7\n"), text);
    }
}

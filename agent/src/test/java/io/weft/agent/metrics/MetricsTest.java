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
    void twoSourcesOfOneFamilyMergeIntoOneGroupWithOneHeader() {
        StringBuilder a = new StringBuilder();
        new MetricsWriter(a).counter("x_total", "X").sample("x_total", 1, "device", "flannel-wg").gauge("y", "Y", 5, "device", "flannel-wg");
        StringBuilder b = new StringBuilder();
        new MetricsWriter(b).counter("x_total", "X").sample("x_total", 2, "device", "flannel-wg-v6");
        StringBuilder out = new StringBuilder();
        new MetricsWriter(out).merged(java.util.List.of(a, b));
        org.junit.jupiter.api.Assertions.assertEquals("# HELP x_total X\n# TYPE x_total counter\nx_total{device=\"flannel-wg\"} 1\n"
                + "x_total{device=\"flannel-wg-v6\"} 2\n# HELP y Y\n# TYPE y gauge\ny{device=\"flannel-wg\"} 5\n", out.toString());
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

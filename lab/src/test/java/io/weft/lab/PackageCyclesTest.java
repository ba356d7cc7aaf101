package io.weft.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every module's packages form a graph without cycles, as the compiled classes say (jdeps reads the bytecode, so a
 * fully qualified name counts as much as an import). The lab module depends on all others, so its test sees them all
 * built.
 */
class PackageCyclesTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final List<String> MODULES = List.of("core", "cni-plugin", "agent", "lab");
    private static final Pattern EDGE = Pattern.compile("^\\s+(io\\.weft\\.\\S+)\\s+->\\s+(io\\.weft\\.\\S+)\\s", Pattern.MULTILINE);

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String module : MODULES) {
            Map<String, Set<String>> edges = edgesOf(module);
            assertTrue(!edges.isEmpty(), "jdeps found no package dependencies in " + module + " (is it built?)");
            edges.forEach((from, to) -> graph.computeIfAbsent(from, k -> new TreeSet<>()).addAll(to));
        }
        assertTrue(graph.containsKey("io.weft.agent") && graph.get("io.weft.agent").contains("io.weft.agent.backend"),
                "the agent's composition root depends on its backends: " + graph.get("io.weft.agent"));
        assertEquals(List.of(), cycles(graph), "package cycles (each list is one strongly connected set)");
    }

    private static Map<String, Set<String>> edgesOf(String module) {
        Path classes = ROOT.resolve(module).resolve("target/classes");
        assertTrue(Files.isDirectory(classes), classes + " is missing: build the module first");
        StringBuilder cp = new StringBuilder();
        for (String m : MODULES) cp.append(ROOT.resolve(m).resolve("target/classes")).append(':');
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("this JDK has no jdeps"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:package", "-e", "io\\.weft\\..*",
                "-cp", cp.toString(), classes.toString());
        assertEquals(0, rc, "jdeps failed: " + err);
        Map<String, Set<String>> edges = new HashMap<>();
        Matcher m = EDGE.matcher(out.toString());
        while (m.find()) {
            if (!m.group(1).equals(m.group(2))) edges.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
        }
        return edges;
    }

    /** Tarjan's strongly connected components of more than one package. */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> found = new ArrayList<>();
        for (String v : graph.keySet()) {
            if (!index.containsKey(v)) strongConnect(v, graph, index, low, stack, onStack, found);
        }
        return found;
    }

    private static void strongConnect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
                                      Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                      List<List<String>> found) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                strongConnect(w, graph, index, low, stack, onStack, found);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) found.add(component.stream().sorted().toList());
        }
    }

    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> g = new TreeMap<>();
        g.put("a", Set.of("b"));
        g.put("b", Set.of("c"));
        g.put("c", Set.of("a"));
        g.put("d", Set.of("a"));
        assertEquals(List.of(List.of("a", "b", "c")), cycles(g));
    }
}

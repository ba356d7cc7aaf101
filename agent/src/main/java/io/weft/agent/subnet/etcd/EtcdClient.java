package io.weft.agent.subnet.etcd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The few etcd v3 calls the subnet manager needs, over etcd's own JSON gateway ({@code /v3/kv/range},
 * {@code /v3/kv/txn}, {@code /v3/lease/grant}, {@code /v3/watch}) over {@link EtcdHttp}: no gRPC stack in the
 * agent. Keys and values are base64 in that API; 64-bit numbers arrive as strings. Endpoints are tried in turn;
 * https:// ones with the {@link EtcdTls} context given.
 */
public final class EtcdClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    /** One stored key. */
    public record Kv(String key, String value, long modRevision, long lease) {}

    /** A range's keys and the store's revision at the time. */
    public record Range(List<Kv> kvs, long revision) {}

    /** One change a watch reports: a key put (with its value) or deleted, at {@code modRevision}. */
    public record WatchEvent(boolean deleted, String key, String value, long modRevision) {}

    /** etcd cancelled a watch because the revision it started from was compacted away; list again, then watch again. */
    public static final class CompactedException extends IOException {
        private final long compactRevision;

        CompactedException(long compactRevision) {
            super("etcd compacted its history up to revision " + compactRevision + " (required revision has been compacted)");
            this.compactRevision = compactRevision;
        }

        public long compactRevision() {
            return compactRevision;
        }
    }

    private static final int TIMEOUT_MS = 10_000; // each wait for an answer

    private final List<URI> endpoints;
    private final EtcdHttp http;
    private volatile int current;
    private String user; // etcd authentication, when set
    private String password;
    private volatile String token;

    public EtcdClient(List<URI> endpoints) {
        this(endpoints, null);
    }

    /** {@code tls}: for https:// endpoints ({@link EtcdTls}); null to use the JDK's trusted CAs and no client certificate. */
    public EtcdClient(List<URI> endpoints, javax.net.ssl.SSLContext tls) {
        if (endpoints.isEmpty()) throw new IllegalArgumentException("--etcd-endpoints: none given");
        for (URI u : endpoints) {
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                throw new IllegalArgumentException("--etcd-endpoints: " + u + ": must be http:// or https://");
            }
        }
        this.endpoints = List.copyOf(endpoints);
        this.http = new EtcdHttp(tls);
    }

    /**
     * Authenticates as {@code user} (etcd's v3 auth, flanneld's --etcd-username/--etcd-password): a token is taken at
     * the first request and again whenever etcd says it expired.
     */
    public EtcdClient withCredentials(String user, String password) {
        if (user == null || user.isBlank()) throw new IllegalArgumentException("--etcd-username: empty");
        this.user = user;
        this.password = password == null ? "" : password;
        return this;
    }

    public static List<URI> parseEndpoints(String csv) {
        List<URI> out = new ArrayList<>();
        for (String e : csv.split(",")) {
            if (e.isBlank()) continue;
            try {
                URI u = URI.create(e.strip());
                if (u.getHost() == null || u.getPort() < 0) throw new IllegalArgumentException("needs host and port");
                if (u.getUserInfo() != null) {
                    // a password in the URL would show in `ps`, in the log and in every error line naming the endpoint
                    throw new IllegalArgumentException("--etcd-endpoints: a URL with credentials in it is refused; give "
                            + "--etcd-username and the password in $ETCD_PASSWORD instead");
                }
                out.add(u);
            } catch (IllegalArgumentException ex) {
                if (ex.getMessage().startsWith("--etcd-endpoints")) throw ex;
                throw new IllegalArgumentException("--etcd-endpoints: '" + e.strip() + "' is not a URL like http://10.0.0.1:2379");
            }
        }
        return out;
    }

    public Range get(String key) throws IOException {
        return range(key, null);
    }

    public Range getPrefix(String prefix) throws IOException {
        return range(prefix, prefixEnd(prefix));
    }

    private Range range(String key, String end) throws IOException {
        ObjectNode req = JSON.createObjectNode().put("key", b64(key));
        if (end != null) req.put("range_end", b64(end));
        JsonNode r = call("/v3/kv/range", req);
        List<Kv> kvs = new ArrayList<>();
        for (JsonNode kv : r.path("kvs")) {
            kvs.add(new Kv(unb64(kv.path("key").asText()), unb64(kv.path("value").asText("")),
                    kv.path("mod_revision").asLong(), kv.path("lease").asLong()));
        }
        return new Range(kvs, r.path("header").path("revision").asLong());
    }

    /** A lease of {@code ttlSeconds}; its keys vanish when it runs out. */
    public long grantLease(long ttlSeconds) throws IOException {
        JsonNode r = call("/v3/lease/grant", JSON.createObjectNode().put("TTL", ttlSeconds));
        long id = r.path("ID").asLong();
        if (id == 0) throw new IOException("etcd granted no lease: " + r);
        return id;
    }

    /** The seconds {@code lease} has left; 0 or less when it is gone. */
    public long timeToLive(long lease) throws IOException {
        return call("/v3/lease/timetolive", JSON.createObjectNode().put("ID", Long.toString(lease))).path("TTL").asLong(-1);
    }

    /** Ends a lease at once (its keys go with it); one that is already gone is no error. */
    public void revoke(long lease) throws IOException {
        try {
            call("/v3/lease/revoke", JSON.createObjectNode().put("ID", Long.toString(lease)));
        } catch (EtcdException e) {
            if (!String.valueOf(e.getMessage()).contains("lease not found")) throw e;
        }
    }

    /** Creates {@code key} under {@code lease} (0: none, a key without TTL) only if it does not exist; false if someone holds it. */
    public boolean createIfAbsent(String key, String value, long lease) throws IOException {
        ObjectNode req = JSON.createObjectNode();
        req.putArray("compare").addObject().put("target", "CREATE").put("result", "EQUAL").put("key", b64(key))
                .put("create_revision", "0");
        putRequest(req.putArray("success").addObject(), key, value, lease);
        return call("/v3/kv/txn", req).path("succeeded").asBoolean(false);
    }

    /** Writes {@code key} under {@code lease} (0: none) only while it still has {@code modRevision}; false if it changed. */
    public boolean replaceIfUnchanged(String key, long modRevision, String value, long lease) throws IOException {
        ObjectNode req = JSON.createObjectNode();
        req.putArray("compare").addObject().put("target", "MOD").put("result", "EQUAL").put("key", b64(key))
                .put("mod_revision", Long.toString(modRevision));
        putRequest(req.putArray("success").addObject(), key, value, lease);
        return call("/v3/kv/txn", req).path("succeeded").asBoolean(false);
    }

    private static void putRequest(ObjectNode op, String key, String value, long lease) {
        ObjectNode put = op.putObject("request_put").put("key", b64(key)).put("value", b64(value));
        if (lease != 0) put.put("lease", Long.toString(lease));
    }

    public void put(String key, String value, long lease) throws IOException {
        ObjectNode req = JSON.createObjectNode().put("key", b64(key)).put("value", b64(value));
        if (lease != 0) req.put("lease", Long.toString(lease));
        call("/v3/kv/put", req);
    }

    public void delete(String key) throws IOException {
        call("/v3/kv/deleterange", JSON.createObjectNode().put("key", b64(key)));
    }

    /**
     * Streams changes under {@code prefix} from {@code fromRevision} on, calling {@code onEvents} with each message's
     * events; returns when the stream ends (etcd restarted, network gone), and throws {@link CompactedException} when
     * etcd cancels the watch because {@code fromRevision} was compacted (the stream stays open then, so a reader that
     * did not look would wait forever). The caller lists and watches again.
     */
    public void watchPrefix(String prefix, long fromRevision, java.util.function.Consumer<List<WatchEvent>> onEvents)
            throws IOException, InterruptedException {
        watchPrefix(prefix, fromRevision, onEvents, () -> {});
    }

    /** As above; {@code onOpen} runs once etcd has accepted the watch, before any event. */
    public void watchPrefix(String prefix, long fromRevision, java.util.function.Consumer<List<WatchEvent>> onEvents,
                            Runnable onOpen) throws IOException, InterruptedException {
        ObjectNode create = JSON.createObjectNode();
        create.putObject("create_request").put("key", b64(prefix)).put("range_end", b64(prefixEnd(prefix)))
                .put("start_revision", Long.toString(fromRevision));
        if (user != null && token == null) authenticate();
        try (EtcdHttp.Lines lines = http.stream(endpoint(), "/v3/watch", create.toString(), token)) {
            if (lines.status != 200) throw new IOException("etcd watch: HTTP " + lines.status);
            onOpen.run();
            for (String line = lines.next(); line != null; line = lines.next()) {
                List<WatchEvent> events = parseWatchMessage(line);
                if (!events.isEmpty()) onEvents.accept(events);
                if (Thread.interrupted()) throw new InterruptedException();
            }
        }
    }

    /**
     * One line of the gateway's watch stream: {@code {"result": {"header": ..., "events": [...]}}}, or a creation,
     * progress or cancellation message without events, or {@code {"error": ...}}.
     */
    static List<WatchEvent> parseWatchMessage(String line) throws IOException {
        if (line.isBlank()) return List.of();
        JsonNode m = JSON.readTree(line);
        if (m.has("error")) {
            throw new IOException("etcd watch failed: " + m.path("error").path("message").asText(m.path("error").toString()));
        }
        JsonNode r = m.path("result");
        if (r.path("canceled").asBoolean(false)) {
            long compact = r.path("compact_revision").asLong(0);
            if (compact > 0) throw new CompactedException(compact);
            throw new IOException("etcd cancelled the watch: " + r.path("cancel_reason").asText("no reason given"));
        }
        List<WatchEvent> out = new ArrayList<>();
        for (JsonNode e : r.path("events")) {
            JsonNode kv = e.path("kv");
            out.add(new WatchEvent("DELETE".equals(e.path("type").asText("PUT")), unb64(kv.path("key").asText()),
                    unb64(kv.path("value").asText("")), kv.path("mod_revision").asLong()));
        }
        return out;
    }

    private JsonNode call(String path, ObjectNode body) throws IOException {
        if (user == null) return send(path, body, null);
        if (token == null) authenticate();
        try {
            return send(path, body, token);
        } catch (EtcdException e) {
            if (!String.valueOf(e.getMessage()).contains("invalid auth token")) throw e;
            authenticate(); // simple tokens expire after a few minutes idle
            return send(path, body, token);
        }
    }

    private synchronized void authenticate() throws IOException {
        ObjectNode req = JSON.createObjectNode().put("name", user).put("password", password);
        try {
            token = send("/v3/auth/authenticate", req, null).path("token").asText(null);
        } catch (EtcdException e) {
            throw new EtcdException("etcd refused user " + user + " (--etcd-username/--etcd-password): " + e.getMessage());
        }
        if (token == null) throw new EtcdException("etcd gave user " + user + " no token (is authentication enabled?)");
    }

    private JsonNode send(String path, ObjectNode body, String auth) throws IOException {
        IOException last = null;
        for (int i = 0; i < endpoints.size(); i++) {
            URI base = endpoints.get((current + i) % endpoints.size());
            try {
                EtcdHttp.Answer resp = http.post(base, path, body.toString(), auth, TIMEOUT_MS);
                JsonNode r = JSON.readTree(resp.body());
                if (resp.status() != 200) {
                    throw new EtcdException("etcd " + base + path + ": HTTP " + resp.status() + ": "
                            + r.path("message").asText(r.path("error").asText(resp.body())));
                }
                current = (current + i) % endpoints.size();
                return r;
            } catch (EtcdException e) {
                throw e; // the store answered: another endpoint would say the same
            } catch (IOException e) {
                last = e instanceof javax.net.ssl.SSLException
                        ? new IOException("TLS with etcd at " + base + " failed: " + describe(e) + " (check --etcd-cafile, "
                                + "--etcd-certfile, --etcd-keyfile)", e)
                        : new IOException("cannot reach etcd at " + base + ": " + describe(e), e);
            }
        }
        throw last;
    }

    private URI endpoint() {
        return endpoints.get(current);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** The end of the range of keys that start with {@code prefix}: the prefix with its last byte plus one. */
    static String prefixEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        b[b.length - 1]++;
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String b64(String s) {
        return B64.encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
        return new String(B64D.decode(s), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        http.close(); // ends the watch too, a request that never completes
    }

    /** etcd answered and refused. */
    public static final class EtcdException extends IOException {
        public EtcdException(String message) {
            super(message);
        }
    }
}

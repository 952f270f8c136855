package io.pikemix.service;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.pikemix.format.ShardStore;
import io.pikemix.format.UserException;
import io.pikemix.mixer.StepManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mixer service: {@link MixerCore} behind HTTP/JSON (Javalin 6 on Jetty 11). Endpoints, formats and error
 * codes are specified in {@code /openapi.json} (src/main/resources/io/pikemix/service/openapi.json) and the
 * service/README.md. Security: binds loopback unless a token file is given; with a token file every write needs
 * {@code Authorization: Bearer <token>}; {@code PUT /v1/weights} always needs it (disabled without a token
 * file); bodies are capped at {@link ServiceConfig#maxBodyBytes()} and validated field by field.
 */
public final class MixerServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MixerServer.class);
    /** Magic of the binary batch format ("PIKB"). */
    public static final int BATCH_MAGIC = 0x424B4950;

    public static final String BATCH_TYPE = "application/vnd.pikemix.batch";
    static final int MAX_JSON_TOKENS = 65536;
    static final long MAX_WAIT_MS = 60_000;

    private final ServiceConfig config;
    private final EventLog log;
    private final MixerCore core;
    private final ShardStore shards;
    private final byte[] token;
    private final byte[] openapi;
    private final Metrics metrics = new Metrics();
    private final Javalin app;
    private final Tls tls;

    /**
     * TLS for the service's own port: a Java key store (PKCS#12 or JKS) holding the server's key and certificate
     * chain, and its password (also the key's).
     */
    public record Tls(Path keyStore, String password) {
        public Tls {
            if (keyStore == null || !Files.isReadable(keyStore))
                throw new UserException("TLS key store " + keyStore + " is not a readable file");
            if (password == null) throw new UserException("the TLS key store needs its password");
            try {
                java.security.KeyStore.getInstance(keyStore.toFile(), password.toCharArray());
            } catch (IOException | java.security.GeneralSecurityException e) {
                throw new UserException("cannot open the TLS key store " + keyStore
                        + " (PKCS#12 or JKS) with the password given: " + e.getMessage());
            }
        }
    }

    private MixerServer(ServiceConfig config, Tls tls) {
        this.config = config;
        this.tls = tls;
        this.token = readToken(config.tokenFile());
        this.shards = config.dataset() == null ? null : ShardStore.open(config.dataset(), config.shardCacheBytes());
        this.openapi = resource("openapi.json");
        Fingerprint.check(config);
        this.log = new EventLog(config.stateDir());
        try {
            this.core = new MixerCore(config.mix(), config.strategy(), config.workers(), log, config.stateDir());
            if (log.truncatedTail() != null) LOG.warn("event log: cut off {}", log.truncatedTail());
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.startupWatcherEnabled = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.http.disableCompression(); // small JSON and token ids: not worth a compressing stream per answer
            if (tls != null) c.jetty.addConnector((server, http) -> httpsConnector(server, http, tls));
            c.requestLogger.http(
                    (ctx, ms) -> metrics.observe(ctx.method().name(), route(ctx), ctx.statusCode(), ms / 1000.0));
        });
        app.get(
                "/healthz",
                ctx -> json(ctx, Json.object(g -> {
                    g.writeStringField("status", "ok");
                    g.writeNumberField("frozen_steps", core.frozenSteps());
                })));
        app.get("/openapi.json", ctx -> ctx.contentType("application/json").result(openapi));
        app.get(
                "/metrics",
                ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                        .result(metrics.render(core.view(), core.frozenSteps())));
        app.get("/v1/manifest", this::manifest);
        app.get("/v1/batch", this::batch);
        app.post("/v1/stats", this::stats);
        app.get("/v1/weights", this::weights);
        app.get("/v1/weights/history", this::history);
        app.put("/v1/weights", this::putWeights);
        app.exception(ApiException.class, (e, ctx) -> error(ctx, e.status, e.code, e.getMessage()));
        app.exception(UserException.class, (e, ctx) -> error(ctx, 422, "invalid", e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("internal error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal", "internal error: " + e);
        });
        app.exception(
                io.javalin.http.HttpResponseException.class,
                (e, ctx) -> error(
                        ctx,
                        e.getStatus(),
                        e.getStatus() == 404 ? "not_found" : "http_" + e.getStatus(),
                        e.getStatus() == 404
                                ? "no endpoint " + ctx.method() + " " + ctx.path() + "; see /openapi.json"
                                : e.getMessage()));
    }

    /** Starts the service (replaying STATE/events.jsonl first). */
    public static MixerServer start(ServiceConfig config) {
        return start(config, null);
    }

    /** Starts the service, answering HTTPS only when {@code tls} is given. */
    public static MixerServer start(ServiceConfig config, Tls tls) {
        var server = new MixerServer(config, tls);
        try {
            if (tls == null) server.app.start(config.host(), config.port());
            else server.app.start(); // the HTTPS connector carries host and port
        } catch (RuntimeException e) {
            server.core.close();
            server.log.close();
            throw e;
        }
        LOG.info("mixer service on {} ({} frozen steps replayed)", server.url(), server.core.frozenSteps());
        return server;
    }

    public int port() {
        return app.port();
    }

    public String url() {
        String h = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return (tls == null ? "http://" : "https://") + h + ":" + port();
    }

    @Override
    public void close() {
        app.stop();
        log.close();
        core.close();
    }

    // ---- handlers -------------------------------------------------------------------------------------------

    private void manifest(Context ctx) throws InterruptedException {
        Share s = share(ctx);
        MixerCore.Served served = core.manifest(s.step, waitMillis(ctx));
        log.syncTo(served.durableAt()); // answer only what is durable (no wait once it is)
        StepManifest m = s.workers == 1 ? served.manifest() : served.manifest().share(s.worker, s.workers);
        json(ctx, Json.object(g -> {
            g.writeNumberField("step", m.step());
            g.writeNumberField("worker", s.worker);
            g.writeNumberField("workers", s.workers);
            g.writeBooleanField("wants_statistics", served.wantsStatistics());
            Json.array(g, "weights", m.weights());
            g.writeFieldName("counts");
            g.writeArray(m.counts(), 0, m.counts().length);
            g.writeFieldName("epochs");
            g.writeArray(m.epochs(), 0, m.epochs().length);
            g.writeArrayFieldStart("rows");
            for (int j = 0; j < m.size(); j++) {
                g.writeStartArray();
                g.writeNumber(m.domain()[j]);
                g.writeNumber(m.shard()[j]);
                g.writeNumber(m.shardRow()[j]);
                g.writeEndArray();
            }
            g.writeEndArray();
            g.writeFieldName("domain_rows");
            g.writeArray(m.row(), 0, m.size());
        }));
    }

    private void batch(Context ctx) throws InterruptedException {
        if (shards == null)
            throw new ApiException(
                    404, "no_dataset", "this service was started without --dataset; /v1/batch needs the shards");
        Share s = share(ctx);
        String format = ctx.queryParam("format");
        String accept = ctx.header("Accept");
        boolean asJson =
                "json".equals(format) || (format == null && accept != null && accept.contains("application/json"));
        if (format != null && !format.equals("json") && !format.equals("binary"))
            throw ApiException.badRequest("format must be json or binary, got '" + format + "'");
        MixerCore.Served served = core.manifest(s.step, waitMillis(ctx));
        log.syncTo(served.durableAt()); // answer only what is durable (no wait once it is)
        StepManifest m = s.workers == 1 ? served.manifest() : served.manifest().share(s.worker, s.workers);
        int L = shards.rowLength(), R = m.size();
        if (asJson && (long) R * L > MAX_JSON_TOKENS)
            throw ApiException.badRequest(R + " rows x " + L + " tokens is too large for JSON (limit " + MAX_JSON_TOKENS
                    + " tokens); use the binary format (format=binary) or a smaller share (workers=n)");
        int[] tokens = tokens(R * L);
        for (int j = 0; j < R; j++)
            shards.copyRow("train", m.domain()[j], m.shard()[j], m.shardRow()[j], tokens, j * L);
        ctx.header("X-Pike-Wants-Statistics", Boolean.toString(served.wantsStatistics()));
        if (asJson) {
            json(ctx, Json.object(g -> {
                g.writeNumberField("step", m.step());
                g.writeNumberField("worker", s.worker);
                g.writeNumberField("workers", s.workers);
                g.writeBooleanField("wants_statistics", served.wantsStatistics());
                g.writeNumberField("row_length", L);
                g.writeFieldName("domain");
                g.writeArray(m.domain(), 0, R);
                g.writeArrayFieldStart("tokens");
                for (int j = 0; j < R; j++) g.writeArray(tokens, j * L, L);
                g.writeEndArray();
            }));
            return;
        }
        int size = 24 + 4 * R + 4 * R * L;
        ByteBuffer buf = batchBuffer(size);
        buf.putInt(BATCH_MAGIC).putInt(1).putLong(m.step()).putInt(R).putInt(L);
        buf.asIntBuffer().put(m.domain(), 0, R);
        buf.position(24 + 4 * R);
        buf.asIntBuffer().put(tokens, 0, R * L);
        send(ctx, BATCH_TYPE, buf.array(), size);
    }

    private void stats(Context ctx) {
        if (token != null) authorise(ctx);
        StatsReport r = StatsReport.parse(Json.parse(body(ctx)), config.mix().domainCount());
        MixerCore.Accepted a = core.report(r);
        // answer only what is durable: the log up to this report's event (not the reports written after it, which
        // would make this answer wait for one more fsync when they arrive during the one that covers it)
        log.syncTo(a.durableAt());
        json(ctx, Json.object(g -> {
            g.writeNumberField("step", a.step());
            g.writeNumberField("reported", a.reported());
            g.writeNumberField("workers", a.workers());
            g.writeBooleanField("closed", a.closed());
        }));
    }

    private void weights(Context ctx) {
        MixerCore.View v = core.view(); // as of the newest durable event: never waits
        json(ctx, Json.object(g -> {
            g.writeNumberField("step", v.step());
            Json.array(g, "weights", v.weights());
            names(g);
            g.writeStringField("strategy", config.strategy().name());
            g.writeStringField("control", v.pinned() ? "pinned" : "strategy");
            g.writeNumberField("update_interval", config.mix().updateInterval());
            g.writeNumberField("batch_size", config.mix().batchSize());
            g.writeNumberField("workers", config.workers());
            g.writeNumberField("frozen_steps", v.step() + 1);
            g.writeNumberField("last_closed_step", v.lastClosedStep());
        }));
    }

    private void history(Context ctx) {
        long length = core.historyLength(); // whole entries, of frozen steps only
        log.sync();
        Map<Long, double[]> scheduled = core.scheduled();
        byte[] head = Json.object(this::names); // {"domains":[..]}
        byte[] tail = Json.object(g -> {
            g.writeArrayFieldStart("scheduled");
            for (var e : scheduled.entrySet()) {
                g.writeStartObject();
                g.writeNumberField("from_step", e.getKey());
                g.writeStringField("cause", e.getValue() == null ? "release" : "pin");
                if (e.getValue() != null) Json.array(g, "weights", e.getValue());
                g.writeEndObject();
            }
            g.writeEndArray();
        });
        // {"domains":[..],"changes":[ + the history file's entries + ],"scheduled":[..]}: streamed, never whole in
        // memory
        var parts = java.util.List.of(
                new java.io.ByteArrayInputStream(head, 0, head.length - 1), // without its closing brace
                new java.io.ByteArrayInputStream(",\"changes\":[".getBytes(StandardCharsets.UTF_8)),
                core.history(length),
                new java.io.ByteArrayInputStream("],".getBytes(StandardCharsets.UTF_8)),
                new java.io.ByteArrayInputStream(tail, 1, tail.length - 1)); // without its opening brace
        ctx.contentType("application/json")
                .result(new java.io.SequenceInputStream(java.util.Collections.enumeration(parts)));
    }

    private void putWeights(Context ctx) {
        if (token == null)
            throw new ApiException(
                    403,
                    "disabled",
                    "PUT /v1/weights is disabled: start the service with --token-file to allow operators to pin weights");
        authorise(ctx);
        JsonNode n = Json.parse(body(ctx));
        if (!n.isObject()) throw ApiException.badRequest("the body must be one JSON object");
        n.fieldNames().forEachRemaining(f -> {
            if (!f.equals("from_step") && !f.equals("weights") && !f.equals("release"))
                throw ApiException.badRequest("unknown field '" + f + "'; expected from_step, weights or release");
        });
        long from = Json.longField(n, "from_step", false, -1);
        if (n.has("from_step") && from < 0) throw ApiException.invalid("from_step must be >= 0, got " + from);
        boolean release = n.path("release").asBoolean(false);
        if (n.has("release") && !n.get("release").isBoolean())
            throw ApiException.badRequest("'release' must be true or false");
        if (release == n.has("weights"))
            throw ApiException.badRequest(
                    "give either \"weights\": [...] (pin) or \"release\": true (hand control back to the strategy)");
        double[] w = release ? null : Json.doubles(n, "weights", config.mix().domainCount(), true);
        long at = core.control(from, w);
        log.sync(); // answer only what is durable
        json(ctx, Json.object(g -> {
            g.writeNumberField("from_step", at);
            g.writeStringField("cause", release ? "release" : "pin");
        }));
    }

    private org.eclipse.jetty.server.Connector httpsConnector(
            org.eclipse.jetty.server.Server server, org.eclipse.jetty.server.HttpConfiguration http, Tls tls) {
        var ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
        ssl.setKeyStorePath(tls.keyStore().toAbsolutePath().toString());
        ssl.setKeyStorePassword(tls.password());
        ssl.setKeyManagerPassword(tls.password());
        var https = new org.eclipse.jetty.server.HttpConfiguration(http);
        var secure = new org.eclipse.jetty.server.SecureRequestCustomizer();
        secure.setSniHostCheck(false); // clients may connect by IP address
        https.addCustomizer(secure);
        var connector = new org.eclipse.jetty.server.ServerConnector(
                server,
                new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"),
                new org.eclipse.jetty.server.HttpConnectionFactory(https));
        connector.setHost(config.host());
        connector.setPort(config.port());
        return connector;
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private record Share(long step, int worker, int workers) {}

    private static Share share(Context ctx) {
        long step = longParam(ctx, "step", null);
        long workers = longParam(ctx, "workers", 1L);
        long worker = longParam(ctx, "worker", 0L);
        if (workers < 1 || workers > 65536)
            throw ApiException.badRequest("workers must be in [1, 65536], got " + workers);
        if (worker < 0 || worker >= workers)
            throw ApiException.badRequest("worker must be in [0, workers), got worker " + worker + " of " + workers);
        if (step < 0) throw ApiException.badRequest("step must be >= 0, got " + step);
        return new Share(step, (int) worker, (int) workers);
    }

    private static long waitMillis(Context ctx) {
        long w = longParam(ctx, "wait_ms", 0L);
        if (w < 0 || w > MAX_WAIT_MS)
            throw ApiException.badRequest("wait_ms must be in [0, " + MAX_WAIT_MS + "], got " + w);
        return w;
    }

    private static long longParam(Context ctx, String name, Long fallback) {
        String v = ctx.queryParam(name);
        if (v == null) {
            if (fallback == null) throw ApiException.badRequest("missing query parameter '" + name + "'");
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("query parameter '" + name + "' must be an integer, got '" + v + "'");
        }
    }

    private void authorise(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null || !h.startsWith("Bearer ")) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(
                    401,
                    "unauthorised",
                    "this request needs 'Authorization: Bearer <token>' (the token in the service's --token-file)");
        }
        byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, token)) {
            ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
            throw new ApiException(401, "unauthorised", "the bearer token is wrong");
        }
    }

    /** The request body, at most maxBodyBytes (413 beyond, whether or not Content-Length says so). */
    private byte[] body(Context ctx) {
        int max = config.maxBodyBytes();
        long declared = ctx.req().getContentLengthLong();
        if (declared > max) throw tooLarge(declared);
        try (InputStream in = ctx.req().getInputStream()) {
            var out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
            var buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                if (out.size() > max) throw tooLarge(out.size());
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
    }

    private ApiException tooLarge(long size) {
        return new ApiException(
                413,
                "too_large",
                "the body has " + (size > config.maxBodyBytes() ? "more than " + config.maxBodyBytes() : size)
                        + " bytes; the limit is " + config.maxBodyBytes() + " (--max-body)");
    }

    private void names(JsonGenerator g) throws IOException {
        g.writeArrayFieldStart("domains");
        for (String name : config.mix().names()) g.writeString(name);
        g.writeEndArray();
    }

    private static void json(Context ctx, byte[] body) {
        send(ctx, "application/json", body, body.length);
    }

    /**
     * Writes the first {@code length} bytes of {@code body} straight to the response with its Content-Length (not
     * through {@code ctx.result}, which copies every answer through a fresh 32 KB buffer). A client that went away
     * meanwhile is not an error of the service.
     */
    private static void send(Context ctx, String type, byte[] body, int length) {
        ctx.contentType(type);
        var res = ctx.res();
        res.setContentLength(length);
        try {
            res.getOutputStream().write(body, 0, length);
        } catch (IOException e) {
            LOG.debug("client went away while {} {} was answered: {}", ctx.method(), ctx.path(), e.toString());
        }
    }

    /** Per-thread scratch for /v1/batch (tokens and the binary answer), so a batch allocates nothing big. */
    private static final ThreadLocal<int[][]> TOKENS = ThreadLocal.withInitial(() -> new int[1][0]);

    private static final ThreadLocal<ByteBuffer[]> BATCH_OUT = ThreadLocal.withInitial(
            () -> new ByteBuffer[] {ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN)});

    private static int[] tokens(int n) {
        int[][] t = TOKENS.get();
        if (t[0].length < n) t[0] = new int[n];
        return t[0];
    }

    private static ByteBuffer batchBuffer(int n) {
        ByteBuffer[] b = BATCH_OUT.get();
        if (b[0].capacity() < n) b[0] = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        return b[0].clear();
    }

    private static void error(Context ctx, int status, String code, String message) {
        ctx.status(status);
        if (status == 425) ctx.header("Retry-After", "1");
        json(ctx, Json.object(g -> {
            g.writeStringField("error", code);
            g.writeStringField("message", message);
        }));
    }

    private static String route(Context ctx) {
        String p;
        try {
            p = ctx.endpointHandlerPath();
        } catch (IllegalStateException e) { // no endpoint matched (404)
            return "other";
        }
        return p == null || p.isEmpty() || p.equals("*") ? "other" : p;
    }

    private static byte[] readToken(Path file) {
        if (file == null) return null;
        String t;
        try {
            t = Files.readString(file).trim();
        } catch (IOException e) {
            throw new UserException("cannot read --token-file " + file + ": " + e.getMessage());
        }
        if (t.length() < 16 || t.chars().anyMatch(Character::isWhitespace))
            throw new UserException("--token-file " + file
                    + " must hold one token of at least 16 characters without spaces (e.g. `openssl rand -hex 32`)");
        return t.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] resource(String name) {
        try (InputStream in = MixerServer.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.pikemix.service.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pikemix.mixer.DomainStats;
import io.pikemix.mixer.GradientStats;
import io.pikemix.mixer.StepManifest;
import io.pikemix.mixer.WeightChange;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Java client of the mixer service ({@code pike mixer serve}), on {@link HttpClient}: what a trainer needs per
 * step (manifest or token batch, then statistics when the step wants them) plus the weight views and operator
 * pins. Thread-safe.
 *
 * <pre>{@code
 * var mixer = MixerClient.connect("http://127.0.0.1:8600", null);
 * for (long t = 0; t < steps; t++) {
 *     MixerClient.Batch b = mixer.batch(t, rank, workers);        // waits while the step is not ready
 *     ... train on b.row(j) ...
 *     if (b.wantsStatistics()) mixer.report(t, rank, workers, accumulator.finish(loss));
 * }
 * }</pre>
 *
 * A manifest that is not ready yet (its step waits for other workers' statistics) is long-polled until
 * {@code readyTimeout}; a refused connection (the service restarting) is retried until {@code connectTimeout}.
 */
public final class MixerClient {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long POLL_MS = 10_000;
    private static final int BATCH_MAGIC = 0x424B4950;

    private final URI base;
    private final String token;
    private final HttpClient http;
    private final Duration readyTimeout;
    private final Duration connectTimeout;

    public MixerClient(URI base, String token, Duration readyTimeout, Duration connectTimeout) {
        this.base = URI.create(base.toString().replaceAll("/+$", "") + "/");
        this.token = token;
        this.readyTimeout = readyTimeout;
        this.connectTimeout = connectTimeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** A client for {@code url}; {@code tokenFile} (or null) holds the bearer token for writes. Waits up to 1 h / 2 min. */
    public static MixerClient connect(String url, Path tokenFile) {
        String token = null;
        if (tokenFile != null) {
            try {
                token = Files.readString(tokenFile).trim();
            } catch (IOException e) {
                throw new MixerClientException(
                        0, "token", "cannot read token file " + tokenFile + ": " + e.getMessage());
            }
        }
        return new MixerClient(URI.create(url), token, Duration.ofHours(1), Duration.ofMinutes(2));
    }

    /** A step's manifest (or one worker's share) and whether the service wants statistics for the step. */
    public record Step(StepManifest manifest, boolean wantsStatistics) {}

    /** Token rows of a step: row j is {@code tokens[j·rowLength, (j+1)·rowLength)} from domain {@code domain[j]}. */
    public record Batch(long step, int rowLength, int[] domain, int[] tokens, boolean wantsStatistics) {
        public int rows() {
            return domain.length;
        }

        public int[] row(int j) {
            return java.util.Arrays.copyOfRange(tokens, j * rowLength, (j + 1) * rowLength);
        }
    }

    /** The service's answer to a report: reports received for the step so far, and whether it is now closed. */
    public record Reported(long step, int reported, int workers, boolean closed) {}

    /** {@code GET /v1/weights}. */
    public record Weights(
            long step,
            double[] weights,
            List<String> domains,
            String strategy,
            String control,
            int updateInterval,
            int batchSize,
            int workers,
            long lastClosedStep) {}

    public Step manifest(long step, int worker, int workers) {
        JsonNode n = json(getReady("v1/manifest", step, worker, workers, "", "application/json"));
        int R = n.get("rows").size();
        var domain = new int[R];
        var shard = new int[R];
        var shardRow = new long[R];
        var row = new long[R];
        for (int j = 0; j < R; j++) {
            JsonNode r = n.get("rows").get(j);
            domain[j] = r.get(0).asInt();
            shard[j] = r.get(1).asInt();
            shardRow[j] = r.get(2).asLong();
            row[j] = n.get("domain_rows").get(j).asLong();
        }
        var m = new StepManifest(
                n.get("step").asLong(),
                doubles(n.get("weights")),
                ints(n.get("counts")),
                longs(n.get("epochs")),
                domain,
                row,
                shard,
                shardRow);
        return new Step(m, n.get("wants_statistics").asBoolean());
    }

    public Batch batch(long step, int worker, int workers) {
        HttpResponse<byte[]> r =
                getReady("v1/batch", step, worker, workers, "&format=binary", "application/vnd.pikemix.batch");
        ByteBuffer b = ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 24 || b.getInt() != BATCH_MAGIC)
            throw new MixerClientException(r.statusCode(), "format", "the batch does not start with the PIKB header");
        int version = b.getInt();
        if (version != 1)
            throw new MixerClientException(
                    r.statusCode(), "format", "batch format version " + version + ", this client reads 1");
        long s = b.getLong();
        int R = b.getInt(), L = b.getInt();
        var domain = new int[R];
        var tokens = new int[R * L];
        b.asIntBuffer().get(domain);
        b.position(24 + 4 * R);
        b.asIntBuffer().get(tokens);
        boolean wants = r.headers()
                .firstValue("X-Pike-Wants-Statistics")
                .map(Boolean::parseBoolean)
                .orElse(false);
        return new Batch(s, L, domain, tokens, wants);
    }

    /** Posts worker {@code worker}'s statistics for {@code step} (fields of {@link GradientStats}; see service/README.md). */
    public Reported report(long step, int worker, int workers, GradientStats stats) {
        ObjectNode body = MAPPER.createObjectNode();
        body.put("step", step);
        body.put("worker", worker);
        body.put("workers", workers);
        body.set("micro_batches", MAPPER.valueToTree(stats.microBatches()));
        body.set("sequences", MAPPER.valueToTree(stats.sequences()));
        body.set("grad_norm_sq", MAPPER.valueToTree(stats.gradNormSq()));
        body.set("mean_grad_norm_sq", MAPPER.valueToTree(stats.meanGradNormSq()));
        body.set("grad_var", MAPPER.valueToTree(stats.gradVar()));
        if (stats.loss() != null) body.set("loss", MAPPER.valueToTree(stats.loss()));
        JsonNode n = json(send(HttpRequest.newBuilder(base.resolve("v1/stats")).POST(bodyOf(body)), true));
        return new Reported(
                n.get("step").asLong(),
                n.get("reported").asInt(),
                n.get("workers").asInt(),
                n.get("closed").asBoolean());
    }

    public Weights weights() {
        JsonNode n =
                json(send(HttpRequest.newBuilder(base.resolve("v1/weights")).GET(), false));
        var names = new ArrayList<String>();
        n.get("domains").forEach(d -> names.add(d.asText()));
        return new Weights(
                n.get("step").asLong(),
                doubles(n.get("weights")),
                List.copyOf(names),
                n.get("strategy").asText(),
                n.get("control").asText(),
                n.get("update_interval").asInt(),
                n.get("batch_size").asInt(),
                n.get("workers").asInt(),
                n.get("last_closed_step").asLong());
    }

    /** The frozen weight trajectory ({@code GET /v1/weights/history}, without the scheduled pins). */
    public List<WeightChange> history() {
        JsonNode n = json(
                send(HttpRequest.newBuilder(base.resolve("v1/weights/history")).GET(), false));
        var out = new ArrayList<WeightChange>();
        for (JsonNode c : n.get("changes")) {
            JsonNode s = c.get("stats");
            DomainStats stats = s == null
                    ? null
                    : new DomainStats(
                            doubles(s.get("grad_norm_sq")),
                            doubles(s.get("grad_var")),
                            s.has("loss") ? doubles(s.get("loss")) : null);
            out.add(new WeightChange(
                    c.get("step").asLong(),
                    c.get("strategy").asText(),
                    c.get("cause").asText(),
                    doubles(c.get("weights")),
                    stats));
        }
        return out;
    }

    /** Pins {@code weights} from {@code fromStep} on ({@code < 0}: the first step not yet handed out); returns the step. */
    public long pin(long fromStep, double[] weights) {
        ObjectNode body = MAPPER.createObjectNode();
        if (fromStep >= 0) body.put("from_step", fromStep);
        body.set("weights", MAPPER.valueToTree(weights));
        return json(send(HttpRequest.newBuilder(base.resolve("v1/weights")).PUT(bodyOf(body)), true))
                .get("from_step")
                .asLong();
    }

    /** Hands control back to the strategy from {@code fromStep} on ({@code < 0}: the first step not yet handed out). */
    public long release(long fromStep) {
        ObjectNode body = MAPPER.createObjectNode();
        if (fromStep >= 0) body.put("from_step", fromStep);
        body.put("release", true);
        return json(send(HttpRequest.newBuilder(base.resolve("v1/weights")).PUT(bodyOf(body)), true))
                .get("from_step")
                .asLong();
    }

    // ---- transport ------------------------------------------------------------------------------------------

    private HttpResponse<byte[]> getReady(
            String path, long step, int worker, int workers, String extra, String accept) {
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (true) {
            long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
            URI uri = base.resolve(path + "?step=" + step + "&worker=" + worker + "&workers=" + workers + "&wait_ms="
                    + Math.min(POLL_MS, left) + extra);
            try {
                return send(HttpRequest.newBuilder(uri).header("Accept", accept).GET(), false);
            } catch (MixerClientException e) {
                if (e.status() != 425 || System.nanoTime() >= deadline) throw e;
            }
        }
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request, boolean write) {
        if (write && token != null) request.header("Authorization", "Bearer " + token);
        HttpRequest req = request.timeout(Duration.ofMillis(POLL_MS + 30_000)).build();
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        for (long backoff = 50; ; backoff = Math.min(2000, backoff * 2)) {
            HttpResponse<byte[]> r;
            try {
                r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            } catch (ConnectException e) { // nothing was sent: safe to retry, also for writes
                if (System.nanoTime() + backoff * 1_000_000 > deadline)
                    throw new MixerClientException(0, "unreachable", "cannot connect to " + base + ": " + e);
                sleep(backoff);
                continue;
            } catch (IOException e) {
                throw new MixerClientException(0, "io", req.method() + " " + req.uri() + " failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MixerClientException(0, "interrupted", "interrupted");
            }
            if (r.statusCode() >= 400) {
                String code = "http_" + r.statusCode(),
                        message = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
                try {
                    JsonNode n = MAPPER.readTree(r.body());
                    code = n.path("error").asText(code);
                    message = n.path("message").asText(message);
                } catch (IOException ignored) {
                    // not our JSON error body: keep the raw text
                }
                throw new MixerClientException(r.statusCode(), code, message);
            }
            return r;
        }
    }

    private static HttpRequest.BodyPublisher bodyOf(JsonNode body) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(MAPPER.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode json(HttpResponse<byte[]> r) {
        try {
            return MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new MixerClientException(r.statusCode(), "format", "the answer is not JSON: " + e.getMessage());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MixerClientException(0, "interrupted", "interrupted");
        }
    }

    private static double[] doubles(JsonNode a) {
        var out = new double[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).doubleValue();
        return out;
    }

    private static int[] ints(JsonNode a) {
        var out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    private static long[] longs(JsonNode a) {
        var out = new long[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asLong();
        return out;
    }
}

package io.pikemix.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.format.DatasetInfo;
import io.pikemix.service.MixerServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pike mixer serve} killed with SIGKILL (by pid) while 8 clients fetch manifests and post statistics (PiKE,
 * T = 1: every step waits for the 8 reports of the step before), then restarted on the same {@code --state}:
 * every acknowledged report is still there (posting it again is refused as a duplicate or as part of a closed step),
 * every manifest served before the kill is served again byte for byte, and after the clients finish, every
 * manifest and the weight history equal those of an uninterrupted in-process service fed the same reports.
 */
class MixerServeFaultTest {
    @TempDir
    Path dir;

    static final int CLIENTS = 8, STEPS = 120, KILL_AFTER_ACKS = 8 * 12;
    private static final Pattern URL = Pattern.compile("serving on (http://127\\.0\\.0\\.1:\\d+)");
    private final HttpClient http =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** Manifests served, by "step/worker": the body as first served. */
    private final Map<String, String> served = new ConcurrentHashMap<>();
    /** Reports acknowledged (200), as "step/worker". */
    private final Map<String, Boolean> acked = new ConcurrentHashMap<>();

    @Test
    void serveKilledMidLoad_restartKeepsEveryAcknowledgedReportAndServesTheSameManifests() throws Exception {
        Path data = dataset(dir);
        String[] options = {
            "--dataset",
            data.toString(),
            "--state",
            dir.resolve("state").toString(),
            "--port",
            "0",
            "--batch",
            "24",
            "--update-interval",
            "1",
            "--workers",
            Integer.toString(CLIENTS)
        };
        var args = new ArrayList<>(List.of("mixer", "serve"));
        args.addAll(List.of(options));

        // phase 1: load, then SIGKILL mid-load
        int[] resumeAt = new int[CLIENTS];
        try (Child server = Child.pike(dir.resolve("logs"), "serve-1", args.toArray(String[]::new))) {
            String url = url(server);
            var acks = new AtomicInteger();
            var threads = clients(url, resumeAt, acks, true);
            server.waitUntil(KILL_AFTER_ACKS + " acknowledged reports", 30, () -> acks.get() >= KILL_AFTER_ACKS);
            server.kill();
            for (Thread t : threads) t.join(30_000);
            assertTrue(acks.get() < CLIENTS * STEPS, "the clients finished before the kill");
        }
        int acknowledged = acked.size(), manifests = served.size();

        // phase 2: restart on the same state; the acknowledged reports and served manifests survived
        try (Child server = Child.pike(dir.resolve("logs"), "serve-2", args.toArray(String[]::new))) {
            String url = url(server);
            for (String key : List.copyOf(acked.keySet())) {
                String[] sw = key.split("/");
                var r = post(url, Long.parseLong(sw[0]), Integer.parseInt(sw[1]));
                assertEquals(409, r.statusCode(), "acknowledged report " + key + " was lost: " + r.body());
                assertTrue(r.body().contains("\"duplicate\"") || r.body().contains("\"closed\""), r.body());
            }
            for (var e : Map.copyOf(served).entrySet()) {
                String[] sw = e.getKey().split("/");
                assertEquals(
                        e.getValue(),
                        get(url, Long.parseLong(sw[0]), Integer.parseInt(sw[1])).body(),
                        "manifest " + e.getKey() + " changed across the kill");
            }
            // the clients go on where they stopped (a report sent but not acknowledged is sent again)
            for (Thread t : clients(url, resumeAt, new AtomicInteger(), false)) t.join(60_000);
            assertEquals(CLIENTS * STEPS, acked.size(), "every report acknowledged once in the end");
            String history = get(url + "/v1/weights/history").body();

            // the same reports to an uninterrupted service in this JVM: the same manifests and weight history
            var serve = CommandLine.populateCommand(new MixerCommand.Serve(), options);
            serve.state = dir.resolve("reference-state");
            try (var reference = MixerServer.start(serve.config())) {
                String ref = reference.url();
                for (int step = 0; step < STEPS; step++)
                    for (int w = 0; w < CLIENTS; w++) {
                        assertEquals(
                                served.get(step + "/" + w),
                                get(ref, step, w).body(),
                                "manifest " + step + "/" + w + " differs from the uninterrupted service's");
                        assertEquals(200, post(ref, step, w).statusCode());
                    }
                assertEquals(get(ref + "/v1/weights/history").body(), history, "weight history");
            }
        }
        assertTrue(acknowledged >= KILL_AFTER_ACKS && manifests >= acknowledged, acknowledged + " / " + manifests);
    }

    /**
     * CLIENTS threads; client w walks steps resumeAt[w]..STEPS-1: GET its share of the step's manifest (long poll),
     * then POST its report. Before the kill ({@code stopOnError}) a failed request ends the client at that step.
     */
    private List<Thread> clients(String url, int[] resumeAt, AtomicInteger acks, boolean stopOnError) {
        var threads = new ArrayList<Thread>();
        for (int w = 0; w < CLIENTS; w++) {
            int worker = w;
            var t = new Thread(() -> {
                for (int step = resumeAt[worker]; step < STEPS; step++) {
                    resumeAt[worker] = step;
                    try {
                        var m = get(url, step, worker);
                        if (m.statusCode() != 200) throw new IllegalStateException(m.statusCode() + " " + m.body());
                        served.putIfAbsent(step + "/" + worker, m.body());
                        var r = post(url, step, worker);
                        // a report sent again after the restart: refused as a duplicate, or as part of a closed step
                        // when it was the step's last report, made durable but killed before its answer went out
                        boolean resent = !stopOnError
                                && r.statusCode() == 409
                                && (r.body().contains("\"duplicate\"")
                                        || r.body().contains("\"closed\""));
                        if (r.statusCode() != 200 && !resent)
                            throw new IllegalStateException(r.statusCode() + " " + r.body());
                        acked.put(step + "/" + worker, true);
                        acks.incrementAndGet();
                    } catch (Exception e) {
                        if (stopOnError) return; // the server died
                        throw new AssertionError("client " + worker + " at step " + step, e);
                    }
                }
                resumeAt[worker] = STEPS;
            });
            t.start();
            threads.add(t);
        }
        return threads;
    }

    private HttpResponse<String> get(String url, long step, int worker) throws Exception {
        return get(url + "/v1/manifest?wait_ms=20000&step=" + step + "&worker=" + worker + "&workers=" + CLIENTS);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, long step, int worker) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url + "/v1/stats"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(report(step, worker)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Worker w's statistics of step t: fixed per (t, w), different across domains, so the PiKE weights move. */
    static String report(long t, int w) {
        double a = ((t * 7 + w * 3L) % 11) / 100.0;
        return String.format(
                Locale.ROOT,
                "{\"step\":%d,\"worker\":%d,\"workers\":%d,\"micro_batches\":[2,2,2],\"sequences\":[8,8,8],"
                        + "\"grad_norm_sq\":[%.4f,%.4f,%.4f],\"mean_grad_norm_sq\":[0.9,0.8,0.7],"
                        + "\"grad_var\":[3,2,1],\"loss\":[3.1,2.5,4.2]}",
                t,
                w,
                CLIENTS,
                0.5 + a,
                0.4 - a / 2,
                0.3 + a / 3);
    }

    /** The service's URL, from its "serving on" line. */
    private static String url(Child server) throws Exception {
        String[] found = new String[1];
        server.waitUntil("the 'serving on' line", 60, () -> {
            try {
                Matcher m = URL.matcher(server.out());
                if (m.find()) found[0] = m.group(1);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return found[0] != null;
        });
        return found[0];
    }

    /** A dataset.json of 3 domains (the manifests need row counts only; /v1/batch is not used). */
    static Path dataset(Path dir) throws Exception {
        var tok = new DatasetInfo.TokenizerInfo("bpe-1024", "bpe:1024", "00", 1024, 0, null);
        var domains = List.of(domain("news", 400, 250), domain("forum", 330), domain("wiki", 100, 100, 100));
        var info = new DatasetInfo(DatasetInfo.FORMAT_VERSION, "test", "spec.yaml", tok, 32, 33, 0, 0, domains);
        Path d = dir.resolve("data");
        Files.createDirectories(d);
        Files.write(d.resolve(DatasetInfo.FILE_NAME), info.toJson());
        return d;
    }

    private static DatasetInfo.DomainInfo domain(String name, long... rows) {
        var shards = new ArrayList<DatasetInfo.ShardInfo>();
        long total = 0;
        for (int s = 0; s < rows.length; s++) {
            shards.add(new DatasetInfo.ShardInfo(String.format("%s/train/part-%05d.parquet", name, s), rows[s], total));
            total += rows[s];
        }
        var train = new DatasetInfo.SplitInfo(total, total * 33, total, 0, shards);
        var val = new DatasetInfo.SplitInfo(0, 0, 0, 0, List.of());
        return new DatasetInfo.DomainInfo(name, null, 1, 1, Map.of(), Map.of("train", train, "val", val));
    }
}

package io.pikemix.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.ShardReader;
import io.pikemix.format.ShardReader.ShardRow;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ETL and distributed training on a real standalone cluster. ETL: the ETL on a real standalone cluster (1 master, 2 workers of 1 core / 1g on 127.0.0.1, started by
 * {@code deploy/local-cluster.sh} on free ports) writes the same dataset as the {@code local[2]} run, both
 * submitted through {@code deploy/submit.sh}. Runs under {@code mvn test}, before any jar is packaged: the
 * scripts get this JVM's test classpath (Spark, every module's classes) as PIKE_CLASSPATH and an empty
 * application jar as PIKE_JAR. Every process the cluster started is stopped, also on failure.
 *
 * <p>Training: {@code pike train --workers 2} (PiKE, gradient averaging) on the cluster's dataset, submitted to the
 * cluster, with one executor killed (SIGKILL, by pid) mid-run; Spark re-runs its task on the other executor. The
 * run still has every step, its loss falls, the mixer's weights moved from the workers' pooled statistics, and
 * its losses equal those of the same run on {@code local[2]} without a failure.
 */
@Tag("spark")
@Tag("cluster")
class ClusterTest {
    @TempDir
    Path dir;

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void etlAndTraining_onAStandaloneClusterWithTwoWorkers() throws Exception {
        Map<String, String> env = environment();
        Process starter = script(
                env,
                dir.resolve("start.log"),
                "deploy/local-cluster.sh",
                "start",
                "--workers",
                "2",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--port",
                "0",
                "--webui-port",
                "0");
        Thread stopper = new Thread(() -> stopCluster(env));
        Runtime.getRuntime().addShutdownHook(stopper); // surefire killed mid-test: still stop the cluster
        List<ProcessHandle> started = new ArrayList<>();
        try {
            String url = finish(starter, 120, dir.resolve("start.log")).strip();
            assertTrue(url.matches("spark://127\\.0\\.0\\.1:\\d+"), "master URL: " + url);
            started.addAll(daemons(env));
            assertEquals(3, started.size(), "master + 2 workers");

            Path local = dir.resolve("local"), cluster = dir.resolve("cluster");
            etl(env, "local[2]", local);
            started.addAll(started.stream().flatMap(ProcessHandle::descendants).toList());
            etl(env, url, cluster);
            try (var w1 = Files.list(Path.of(env.get("PIKE_CLUSTER_DIR"), "work", "worker-1"));
                    var w2 = Files.list(Path.of(env.get("PIKE_CLUSTER_DIR"), "work", "worker-2"))) {
                assertTrue(w1.findAny().isPresent() && w2.findAny().isPresent(), "both workers ran an executor");
            }
            assertSameDataset(local, cluster);
            assertProgressMovesWhileTheTaskRuns(env, url);

            Path runLocal = dir.resolve("run-local"), runCluster = dir.resolve("run-cluster");
            finish(train(env, "local[2]", cluster, runLocal), 300, dir.resolve("run-local.log"));
            Process job = train(env, url, cluster, runCluster);
            long killed;
            try {
                killed = killOneExecutorAfter(runCluster.resolve("metrics.jsonl"), 5, started, job);
                finish(job, 300, dir.resolve("run-cluster.log"));
            } finally {
                if (job.isAlive()) job.destroyForcibly().waitFor(); // a driver whose cluster is gone waits forever
            }
            assertTrainingSurvived(runLocal, runCluster, killed);
            assertNotebookLoaderReads(runCluster);
        } finally {
            started.addAll(started.stream().flatMap(ProcessHandle::descendants).toList());
            stopCluster(env);
            Runtime.getRuntime().removeShutdownHook(stopper);
        }
        for (ProcessHandle p : started) {
            p.onExit().get(20, TimeUnit.SECONDS);
            assertFalse(p.isAlive(), "still running after stop: pid " + p.pid());
        }
    }

    private void etl(Map<String, String> env, String master, Path out) throws Exception {
        Path log = dir.resolve(out.getFileName() + ".log");
        Process p = script(
                env,
                log,
                "deploy/submit.sh",
                "--master",
                master,
                "--",
                "etl",
                "--spec",
                "corpus/genres.yaml",
                "--tokenizer",
                "bpe:1024",
                "--out",
                out.toString(),
                "--progress-seconds",
                "0");
        finish(p, 300, log);
        assertTrue(
                Files.isRegularFile(out.resolve(DatasetInfo.FILE_NAME)),
                "no dataset.json after the " + master + " run");
    }

    /**
     * Live progress on the cluster: one 24 MB text file, one task on one executor, counted by the driver from the
     * accumulator values the executor sends with its heartbeats (every 200 ms here). A progress line printed while
     * the task still ran ("tasks 0/1") shows more than 0 MB: the counts moved before the task ended. Without that
     * path the driver would only see the task's counts when it ends, and every "tasks 0/1" line would show 0 MB.
     */
    private void assertProgressMovesWhileTheTaskRuns(Map<String, String> env, String master) throws Exception {
        Path in = dir.resolve("progress-in");
        Files.createDirectories(in);
        var sb = new StringBuilder();
        for (int i = 0; sb.length() < 24_000_000; i++)
            sb.append("Paragraph ")
                    .append(i)
                    .append(": the committee met on a Tuesday and reviewed the harbour accounts for the year ")
                    .append(1800 + i % 200)
                    .append(", finding nothing amiss.\n\n");
        Files.writeString(in.resolve("a.txt"), sb);
        Path spec = dir.resolve("progress.yaml");
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 64\ndomains:\n"
                        + "  - {name: d, format: text, doc_separator: blank_line, paths: [" + in + "/*.txt]}\n");
        Path log = dir.resolve("progress.log");
        Process p = script(
                env,
                log,
                "deploy/submit.sh",
                "--master",
                master,
                "--conf",
                "spark.executor.heartbeatInterval=200ms",
                "--",
                "etl",
                "--spec",
                spec.toString(),
                "--out",
                dir.resolve("progress-out").toString(),
                "--progress-seconds",
                "0.2");
        finish(p, 300, log);
        var total = java.util.regex.Pattern.compile("\\| total [0-9,]+ docs ([0-9.]+) MB .*\\| tasks (\\d+)/1 ");
        List<Double> whileRunning = new ArrayList<>();
        double last = -1;
        for (String line : Files.readAllLines(log)) {
            var m = total.matcher(line);
            if (!m.find()) continue;
            last = Double.parseDouble(m.group(1));
            if (m.group(2).equals("0")) whileRunning.add(last);
        }
        assertEquals(24.0, last, 0.1, "the last line counts all input");
        assertTrue(
                whileRunning.stream().anyMatch(mb -> mb > 0 && mb < 24),
                "a line with more than 0 MB before the one task ended, from the executor's heartbeats: "
                        + whileRunning);
    }

    static final int STEPS = 14;

    private Process train(Map<String, String> env, String master, Path dataset, Path run) throws IOException {
        return script(
                env,
                dir.resolve(run.getFileName() + ".log"),
                "deploy/submit.sh",
                "--master",
                master,
                "--",
                "train",
                "--dataset",
                dataset.toString(),
                "--out",
                run.toString(),
                "--workers",
                "2",
                "--strategy",
                "pike",
                "--steps",
                Integer.toString(STEPS),
                "--batch",
                "8",
                "--layers",
                "1",
                "--heads",
                "2",
                "--width",
                "32",
                "--lr",
                "5e-3",
                "--update-interval",
                "2",
                "--eval-every",
                "0",
                "--log-every",
                "5");
    }

    /** Once the run has {@code steps} metrics lines, SIGKILLs one executor JVM (a worker daemon's child); returns its pid. */
    private static long killOneExecutorAfter(Path metrics, int steps, List<ProcessHandle> daemons, Process job)
            throws Exception {
        long deadline = System.nanoTime() + 240_000_000_000L;
        while (!Files.exists(metrics) || Files.readAllLines(metrics).size() < steps) {
            assertTrue(job.isAlive(), "the training job ended before step " + steps);
            assertTrue(System.nanoTime() < deadline, "no " + steps + " steps after 240 s");
            Thread.sleep(200);
        }
        ProcessHandle executor = daemons.stream()
                .flatMap(ProcessHandle::descendants)
                .filter(p -> commandLine(p).contains("CoarseGrainedExecutorBackend"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no executor process under the workers"));
        executor.destroyForcibly();
        executor.onExit().get(30, TimeUnit.SECONDS);
        return executor.pid();
    }

    /** notebooks/pikeruns.py (what runs.ipynb plots) reads the distributed run as the files say. */
    private static void assertNotebookLoaderReads(Path run) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(
                            "python3", ROOT.resolve("notebooks/pikeruns.py").toString(), run.toString())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("python3 is not installed: " + e.getMessage());
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        var summary = DatasetInfo.mapper().readTree(out).get(0);
        List<com.fasterxml.jackson.databind.JsonNode> metrics = lines(run.resolve("metrics.jsonl"));
        assertEquals(STEPS, summary.get("steps").asInt());
        assertEquals(
                metrics.get(STEPS - 1).get("loss").asDouble(),
                summary.get("last_loss").asDouble(),
                0);
        assertEquals(metrics.get(STEPS - 1).get("weights"), summary.get("weights_last_step"));
        var statSteps = new ArrayList<Integer>();
        for (var n : summary.get("statistics_steps")) statSteps.add(n.asInt());
        assertEquals(List.of(0, 2, 4, 6, 8, 10, 12), statSteps);
        assertEquals("[0,1]", summary.get("workers").toString());
        var cos = summary.get("last_cosine");
        for (int k = 0; k < cos.size(); k++) assertEquals(1.0, cos.get(k).get(k).asDouble(), 1e-9);
    }

    /** /proc/PID/cmdline (ProcessHandle.Info leaves out the arguments of long command lines). */
    private static String commandLine(ProcessHandle p) {
        try {
            return new String(
                            Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                            StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    private static void assertTrainingSurvived(Path local, Path cluster, long killed) throws IOException {
        List<com.fasterxml.jackson.databind.JsonNode> a = lines(local.resolve("metrics.jsonl")),
                b = lines(cluster.resolve("metrics.jsonl"));
        assertEquals(STEPS, a.size(), "local run steps");
        assertEquals(STEPS, b.size(), "cluster run steps (after losing an executor)");
        for (int i = 0; i < STEPS; i++)
            assertEquals(
                    a.get(i).get("loss").asDouble(),
                    b.get(i).get("loss").asDouble(),
                    1e-4,
                    "step " + i + ": the run that lost an executor differs from the local run");
        double first = b.get(0).get("loss").asDouble(), last = 0;
        for (int i = STEPS - 3; i < STEPS; i++) last += b.get(i).get("loss").asDouble() / 3;
        assertTrue(last < first - 0.1, "loss did not fall: " + first + " -> " + last);
        // the killed executor reported rounds before it died and none after; every round has both workers
        List<com.fasterxml.jackson.databind.JsonNode> reports = lines(cluster.resolve("workers.jsonl"));
        assertEquals(2 * STEPS, reports.size());
        int lastByKilled = -1;
        for (int i = 0; i < reports.size(); i++) if (reports.get(i).get("pid").asLong() == killed) lastByKilled = i;
        assertTrue(lastByKilled >= 0, "the killed executor (pid " + killed + ") never reported");
        assertTrue(lastByKilled < reports.size() - 2, "the killed executor reported the last round");
        // statistics: pooled from both workers; the weights moved away from uniform
        for (var s : lines(cluster.resolve("stats.jsonl")))
            assertEquals(2, s.get("pooled_from_workers").asInt());
        List<com.fasterxml.jackson.databind.JsonNode> weights = lines(cluster.resolve("weights.jsonl"));
        assertEquals(1 + STEPS / 2, weights.size(), "initial + one change per statistics step");
        var w = weights.get(weights.size() - 1).get("weights");
        double moved = 0;
        for (int k = 0; k < w.size(); k++) moved += Math.abs(w.get(k).asDouble() - 1.0 / w.size());
        assertTrue(moved > 1e-3, "weights did not move: " + w);
    }

    private static List<com.fasterxml.jackson.databind.JsonNode> lines(Path file) throws IOException {
        var mapper = DatasetInfo.mapper();
        var out = new ArrayList<com.fasterxml.jackson.databind.JsonNode>();
        for (String l : Files.readAllLines(file)) if (!l.isBlank()) out.add(mapper.readTree(l));
        return out;
    }

    /** dataset.json (less the spec's absolute path), tokenizer.json, and every shard's rows in order. */
    static void assertSameDataset(Path expected, Path actual) throws IOException {
        var mapper = DatasetInfo.mapper();
        var a = (ObjectNode)
                mapper.readTree(expected.resolve(DatasetInfo.FILE_NAME).toFile());
        var b = (ObjectNode)
                mapper.readTree(actual.resolve(DatasetInfo.FILE_NAME).toFile());
        a.remove("spec");
        b.remove("spec");
        assertEquals(a, b, "dataset.json differs");
        assertArrayEquals(
                Files.readAllBytes(expected.resolve("tokenizer.json")),
                Files.readAllBytes(actual.resolve("tokenizer.json")));
        List<Path> shards = shards(expected);
        assertEquals(shards, shards(actual), "shard files");
        assertFalse(shards.isEmpty());
        long rows = 0;
        for (Path s : shards) {
            List<ShardRow> x = ShardReader.read(expected.resolve(s).toString(), -1),
                    y = ShardReader.read(actual.resolve(s).toString(), -1);
            assertEquals(x.size(), y.size(), s + ": rows");
            for (int i = 0; i < x.size(); i++) {
                assertEquals(x.get(i).seqId(), y.get(i).seqId(), s + " row " + i + ": seq_id");
                assertArrayEquals(x.get(i).tokens(), y.get(i).tokens(), s + " row " + i + ": tokens");
            }
            rows += x.size();
        }
        assertTrue(rows > 1000, "only " + rows + " rows");
    }

    private static List<Path> shards(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.toString().endsWith(".parquet"))
                    .map(root::relativize)
                    .sorted()
                    .toList();
        }
    }

    /** Cluster state in the temp dir; the test's classpath stands in for cli/target/lib, an empty jar for pike.jar. */
    private Map<String, String> environment() throws IOException {
        String cp = System.getProperty("java.class.path");
        assertTrue(cp.contains("spark-core_2.12"), "test classpath has no spark-core: " + cp);
        Path jar = dir.resolve("app.jar");
        var manifest = new Manifest();
        manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (var out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            /* classes come from PIKE_CLASSPATH */
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        return Map.of(
                "PIKE_CLUSTER_DIR",
                dir.resolve("cluster-state").toString(),
                "PIKE_CLASSPATH",
                cp,
                "PIKE_JAR",
                jar.toString(),
                "PIKE_DRIVER_MEMORY",
                "1g",
                "PIKE_EXECUTOR_MEMORY",
                "768m",
                "JAVA",
                java);
    }

    private static Process script(Map<String, String> env, Path log, String... command) throws IOException {
        var pb = new ProcessBuilder(command)
                .directory(ROOT.toFile())
                .redirectErrorStream(false)
                .redirectError(log.toFile());
        pb.command().set(0, ROOT.resolve(command[0]).toString());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits for the script, returns its stdout; on failure or timeout the message carries its log's tail. */
    private static String finish(Process p, int seconds, Path log) throws Exception {
        var stdout = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                stdout.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
            }
        });
        reader.start();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly().waitFor();
        reader.join(5000);
        if (!done || p.exitValue() != 0) {
            List<String> lines = Files.readAllLines(log);
            fail((done ? "exit " + p.exitValue() : "timed out after " + seconds + " s") + ": "
                    + p.info().commandLine().orElse("") + "\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())) + "\n" + stdout);
        }
        return stdout.toString();
    }

    /** The master's and workers' processes, from their pid files. */
    private static List<ProcessHandle> daemons(Map<String, String> env) throws IOException {
        try (Stream<Path> s = Files.list(Path.of(env.get("PIKE_CLUSTER_DIR")))) {
            var out = new ArrayList<ProcessHandle>();
            for (Path f : s.filter(p -> p.toString().endsWith(".pid")).toList())
                ProcessHandle.of(Long.parseLong(Files.readString(f).strip())).ifPresent(out::add);
            return out;
        }
    }

    private static void stopCluster(Map<String, String> env) {
        try {
            var pb = new ProcessBuilder(ROOT.resolve("deploy/local-cluster.sh").toString(), "stop")
                    .directory(ROOT.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().putAll(env);
            pb.start().waitFor(60, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("could not stop the local cluster in " + env.get("PIKE_CLUSTER_DIR"), e);
        }
    }
}

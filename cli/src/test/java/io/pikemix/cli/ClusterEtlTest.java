package io.pikemix.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pikemix.etl.ShardReader;
import io.pikemix.etl.ShardReader.ShardRow;
import io.pikemix.format.DatasetInfo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The ETL on a real standalone cluster (1 master, 2 workers of 1 core / 1g on 127.0.0.1, started by
 * {@code deploy/local-cluster.sh} on free ports) writes the same dataset as the {@code local[2]} run, both
 * submitted through {@code deploy/submit.sh}. Runs under {@code mvn test}, before any jar is packaged: the
 * scripts get this JVM's test classpath (Spark, every module's classes) as PIKE_CLASSPATH and an empty
 * application jar as PIKE_JAR. Every process the cluster started is stopped, also on failure.
 */
@Tag("spark")
@Tag("cluster")
class ClusterEtlTest {
    @TempDir Path dir;

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test void etl_standaloneClusterWithTwoWorkersWritesTheSameShardsAsLocal() throws Exception {
        Map<String, String> env = environment();
        Process starter = script(env, dir.resolve("start.log"), "deploy/local-cluster.sh", "start",
                "--workers", "2", "--cores", "1", "--memory", "1g", "--port", "0", "--webui-port", "0");
        Thread stopper = new Thread(() -> stopCluster(env));
        Runtime.getRuntime().addShutdownHook(stopper);            // surefire killed mid-test: still stop the cluster
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
            assertTrue(Files.list(Path.of(env.get("PIKE_CLUSTER_DIR"), "work", "worker-1")).findAny().isPresent()
                    && Files.list(Path.of(env.get("PIKE_CLUSTER_DIR"), "work", "worker-2")).findAny().isPresent(),
                    "both workers ran an executor");
            assertSameDataset(local, cluster);
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
        Process p = script(env, log, "deploy/submit.sh", "--master", master, "--",
                "etl", "--spec", "corpus/genres.yaml", "--tokenizer", "bpe:1024", "--out", out.toString(),
                "--progress-seconds", "0");
        finish(p, 300, log);
        assertTrue(Files.isRegularFile(out.resolve(DatasetInfo.FILE_NAME)), "no dataset.json after the " + master + " run");
    }

    /** dataset.json (less the spec's absolute path), tokenizer.json, and every shard's rows in order. */
    static void assertSameDataset(Path expected, Path actual) throws IOException {
        var mapper = DatasetInfo.mapper();
        var a = (ObjectNode) mapper.readTree(expected.resolve(DatasetInfo.FILE_NAME).toFile());
        var b = (ObjectNode) mapper.readTree(actual.resolve(DatasetInfo.FILE_NAME).toFile());
        a.remove("spec");
        b.remove("spec");
        assertEquals(a, b, "dataset.json differs");
        assertArrayEquals(Files.readAllBytes(expected.resolve("tokenizer.json")), Files.readAllBytes(actual.resolve("tokenizer.json")));
        List<Path> shards = shards(expected);
        assertEquals(shards, shards(actual), "shard files");
        assertFalse(shards.isEmpty());
        long rows = 0;
        for (Path s : shards) {
            List<ShardRow> x = ShardReader.read(expected.resolve(s).toString(), -1), y = ShardReader.read(actual.resolve(s).toString(), -1);
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
            return s.filter(p -> p.toString().endsWith(".parquet")).map(root::relativize).sorted().toList();
        }
    }

    /** Cluster state in the temp dir; the test's classpath stands in for cli/target/lib, an empty jar for pike.jar. */
    private Map<String, String> environment() throws IOException {
        String cp = System.getProperty("java.class.path");
        assertTrue(cp.contains("spark-core_2.12"), "test classpath has no spark-core: " + cp);
        Path jar = dir.resolve("app.jar");
        var manifest = new Manifest();
        manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (var out = new JarOutputStream(Files.newOutputStream(jar), manifest)) { /* classes come from PIKE_CLASSPATH */ }
        String java = ProcessHandle.current().info().command().orElse("java");
        return Map.of("PIKE_CLUSTER_DIR", dir.resolve("cluster-state").toString(), "PIKE_CLASSPATH", cp,
                "PIKE_JAR", jar.toString(), "PIKE_DRIVER_MEMORY", "1g", "PIKE_EXECUTOR_MEMORY", "768m", "JAVA", java);
    }

    private static Process script(Map<String, String> env, Path log, String... command) throws IOException {
        var pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(false)
                .redirectError(log.toFile());
        pb.command().set(0, ROOT.resolve(command[0]).toString());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Waits for the script, returns its stdout; on failure or timeout the message carries its log's tail. */
    private static String finish(Process p, int seconds, Path log) throws Exception {
        var stdout = new StringBuilder();
        Thread reader = new Thread(() -> {
            try { stdout.append(new String(p.getInputStream().readAllBytes())); } catch (IOException ignored) { }
        });
        reader.start();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly().waitFor();
        reader.join(5000);
        if (!done || p.exitValue() != 0) {
            List<String> lines = Files.readAllLines(log);
            fail((done ? "exit " + p.exitValue() : "timed out after " + seconds + " s") + ": " + String.join(" ", p.info().commandLine().orElse(""))
                    + "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())) + "\n" + stdout);
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
                    .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().putAll(env);
            pb.start().waitFor(60, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("could not stop the local cluster in " + env.get("PIKE_CLUSTER_DIR"), e);
        }
    }
}

package io.pikemix.cli;

import static io.pikemix.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.DatasetInfo;
import io.pikemix.format.ShardStore;
import io.pikemix.mixer.StepManifest;
import io.pikemix.service.MixerServer;
import io.pikemix.service.client.MixerClient;
import io.pikemix.training.RunFiles;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A real HDFS: Hadoop's in-process mini cluster (one NameNode, one DataNode, hadoop-client-minicluster 3.3.4, the
 * client Spark 3.5.9 ships). {@code pike etl --out hdfs://...} writes the dataset there; {@code pike inspect},
 * {@code pike mixer serve} ({@code /v1/batch}), {@code pike train} and {@code pike eval} read it from there; the
 * served rows equal the local copy's, and the training losses, manifests and validation
 * losses equal, bit for bit (one ND4J thread, cli's surefire setting), those of the same run on a local copy. And
 * inputs that HDFS's permissions deny to the user running {@code pike etl} are one error line each.
 */
@Tag("spark")
@Tag("hdfs")
class HdfsTest {
    @TempDir
    Path dir;

    /** One mini cluster for the class, started by this JVM's user: HDFS's superuser. */
    static MiniDFSCluster cluster;

    @BeforeAll
    static void startCluster(@TempDir Path base) throws Exception {
        var conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("hdfs").toString());
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.shutdown();
    }

    @Test
    void etlWritesToHdfs_trainingFromHdfsEqualsTrainingFromALocalCopy() throws Exception {
        String hdfs = "hdfs://127.0.0.1:" + cluster.getNameNodePort() + "/datasets/tiny";
        MainTest.Result etl = run(
                "etl", "--spec", spec().toString(), "--out", hdfs, "--master", "local[1]", "--progress-seconds", "0");
        assertEquals(0, etl.status(), etl.err());

        FileSystem fs = cluster.getFileSystem();
        var remote = new org.apache.hadoop.fs.Path("/datasets/tiny");
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path(remote, DatasetInfo.FILE_NAME)), "dataset.json is on HDFS");
        Path local = dir.resolve("local");
        fs.copyToLocalFile(false, remote, new org.apache.hadoop.fs.Path(local.toUri()), true);
        DatasetInfo info = DatasetInfo.read(hdfs);
        assertEquals(DatasetInfo.read(local), info);
        assertTrue(
                info.domains().stream().allMatch(d -> d.split("train").shards().size() >= 1));
        assertFalse(Files.exists(Path.of("/datasets/tiny")), "nothing was written to the local /datasets");

        MainTest.Result inspect = run("inspect", hdfs, "--rows", "1");
        assertEquals(0, inspect.status(), inspect.err());
        assertTrue(inspect.out().contains("a/train/part-00000.parquet  seq_id"), inspect.out());

        // pike mixer serve --dataset hdfs://...: /v1/batch serves the rows of the local copy's shards
        var serve = new MixerCommand.Serve();
        new CommandLine(serve)
                .parseArgs(
                        "--dataset",
                        hdfs,
                        "--state",
                        dir.resolve("state").toString(),
                        "--strategy",
                        "mix",
                        "--batch",
                        "8",
                        "--port",
                        "0",
                        "--shard-cache-mb",
                        "1");
        try (var server = MixerServer.start(serve.config())) {
            var client = new MixerClient(URI.create(server.url()), null, Duration.ofSeconds(5), Duration.ofSeconds(2));
            var copy = ShardStore.open(local.toString(), 1 << 20);
            var expected = new int[info.rowLength()];
            for (long t = 0; t < 3; t++) {
                StepManifest m = client.manifest(t, 0, 1).manifest();
                MixerClient.Batch batch = client.batch(t, 0, 1);
                assertEquals(8, batch.rows());
                for (int j = 0; j < m.size(); j++) {
                    copy.copyRow("train", m.domain()[j], m.shard()[j], m.shardRow()[j], expected, 0);
                    assertArrayEquals(expected, batch.row(j), "step " + t + " row " + j);
                }
            }
        }

        Path fromHdfs = dir.resolve("run-hdfs"), fromLocal = dir.resolve("run-local");
        train(hdfs, fromHdfs);
        train(local.toString(), fromLocal);
        List<JsonNode> a = RunFiles.read(fromHdfs.resolve(RunFiles.METRICS)),
                b = RunFiles.read(fromLocal.resolve(RunFiles.METRICS));
        assertEquals(STEPS, a.size());
        assertEquals(STEPS, b.size());
        for (int s = 0; s < STEPS; s++) {
            assertEquals(b.get(s).get("loss").asDouble(), a.get(s).get("loss").asDouble(), 0.0, "loss at step " + s);
            assertEquals(b.get(s).get("weights"), a.get(s).get("weights"), "weights at step " + s);
        }
        assertEquals(
                RunFiles.read(fromLocal.resolve(RunFiles.MANIFEST)),
                RunFiles.read(fromHdfs.resolve(RunFiles.MANIFEST)));
        assertEquals(RunFiles.read(fromLocal.resolve(RunFiles.VAL)), RunFiles.read(fromHdfs.resolve(RunFiles.VAL)));
        assertEquals(
                hdfs, io.pikemix.training.Trainer.readConfig(fromHdfs).dataset(), "config.json names the HDFS URI");

        MainTest.Result eval = run("eval", "--run", fromHdfs.toString(), "--rows", "8", "--shard-cache-mb", "1");
        assertEquals(0, eval.status(), eval.err());
        assertEquals(
                0, run("eval", "--run", fromLocal.toString(), "--rows", "8").status());
        assertEquals(
                RunFiles.MAPPER
                        .readTree(fromLocal.resolve("eval.json").toFile())
                        .get("val_loss"),
                RunFiles.MAPPER.readTree(fromHdfs.resolve("eval.json").toFile()).get("val_loss"));
    }

    /*
     * Unreadable inputs, denied for real: HDFS checks permissions for every user but its superuser (this JVM's user,
     * who started the NameNode), so `pike etl` runs as user alice against files the superuser made unreadable. (A
     * local chmod 000 denies nothing here: the tests run as root.)
     *   1. a glob under a directory of mode 000: refused when the job is planned (in this JVM, inside
     *      UserGroupInformation.doAs: planning runs on the calling thread);
     *   2. a file of mode 000 beside a readable one: refused when a task opens it, and the executor's error reaches
     *      the CLI as a user error (a child JVM with HADOOP_USER_NAME=alice, simple authentication, so that the
     *      executor threads are alice too);
     *   3. the same file made readable: the same command succeeds (child JVM, alice).
     * Runs 1 and 2: status 2, exactly one "error:" line naming the path and the denial, no internal error, nothing
     * published.
     */
    @Test
    void unreadableInputs_areOneErrorLineEach_andPublishNothing() throws Exception {
        FileSystem fs = cluster.getFileSystem();
        String nn = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
        var open = new org.apache.hadoop.fs.Path("/in/open.jsonl");
        var secret = new org.apache.hadoop.fs.Path("/in/secret.jsonl");
        var locked = new org.apache.hadoop.fs.Path("/locked");
        for (var p : List.of(open, secret, new org.apache.hadoop.fs.Path(locked, "x.jsonl")))
            try (var o = fs.create(p)) {
                for (int i = 0; i < 30; i++)
                    o.write(("{\"text\": \"" + p.getName() + " line " + i
                                    + ": the tide came in over the northern harbour wall.\"}\n")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        fs.setPermission(secret, new FsPermission((short) 0));
        fs.setPermission(locked, new FsPermission((short) 0));

        Path logs = dir.resolve("logs"), out = dir.resolve("out");
        Path lockedSpec = spec(
                "locked.yaml",
                "{name: a, format: jsonl, paths: ['" + nn + "/in/open.jsonl']}",
                "{name: c, format: jsonl, paths: ['" + nn + "/locked/*.jsonl']}");
        // planning runs on the calling thread, so this JVM can run the command as alice itself
        MainTest.Result r = UserGroupInformation.createRemoteUser("alice")
                .doAs((PrivilegedExceptionAction<MainTest.Result>) () -> run(etlArgs(lockedSpec, out)));
        assertEquals(2, r.status(), r.err());
        String line = oneErrorLine(r.err());
        assertTrue(
                line.startsWith("error: domain 'c': cannot list '" + nn + "/locked/*.jsonl': Permission denied: "
                        + "user=alice, access=READ_EXECUTE, inode=\"/locked\""),
                line);
        assertFalse(Files.exists(out.resolve(DatasetInfo.FILE_NAME)));

        Path secretSpec = spec(
                "secret.yaml",
                "{name: a, format: jsonl, paths: ['" + nn + "/in/open.jsonl']}",
                "{name: b, format: jsonl, paths: ['" + nn + "/in/secret.jsonl']}");
        line = alice(logs, "secret", secretSpec, out);
        assertTrue(
                line.startsWith("error: domain 'b': cannot read input file " + nn + "/in/secret.jsonl: "
                        + "Permission denied: user=alice, access=READ, inode=\"/in/secret.jsonl\""),
                line);
        assertFalse(Files.exists(out.resolve(DatasetInfo.FILE_NAME)), "nothing published");
        assertFalse(Files.exists(out.resolve("a")), "not even the readable domain's shards");

        fs.setPermission(secret, new FsPermission((short) 0644));
        try (Child c = Child.start(
                logs,
                "secret-readable",
                List.of(),
                java.util.Map.of("HADOOP_USER_NAME", "alice"),
                etlArgs(secretSpec, out))) {
            assertEquals(0, c.await(300), c.err());
        }
        DatasetInfo info = DatasetInfo.read(out);
        assertEquals(
                30,
                info.domain("b").split("train").documents()
                        + info.domain("b").split("val").documents());
    }

    /** `pike etl` as alice in a child JVM: expects status 2 and returns its one "error:" line. */
    private static String alice(Path logs, String name, Path spec, Path out) throws Exception {
        try (Child c =
                Child.start(logs, name, List.of(), java.util.Map.of("HADOOP_USER_NAME", "alice"), etlArgs(spec, out))) {
            int status = c.await(300);
            assertEquals(2, status, c.err());
            return oneErrorLine(c.err());
        }
    }

    /** No internal error, and exactly one "error:" line (Spark's executor threads may log the failed task too). */
    private static String oneErrorLine(String err) {
        assertFalse(err.contains("internal error"), err);
        List<String> ours = err.lines().filter(l -> l.startsWith("error: ")).toList();
        assertEquals(1, ours.size(), err);
        return ours.get(0);
    }

    private static String[] etlArgs(Path spec, Path out) {
        return new String[] {
            "etl", "--spec", spec.toString(), "--out", out.toString(), "--master", "local[1]", "--progress-seconds", "0"
        };
    }

    private Path spec(String name, String... domains) throws Exception {
        Path spec = dir.resolve(name);
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 15\nval_fraction: 0.1\ndomains:\n  - "
                        + String.join("\n  - ", domains) + "\n");
        return spec;
    }

    static final int STEPS = 6;

    private static void train(String dataset, Path out) {
        MainTest.Result r = run(
                "train",
                "--dataset",
                dataset,
                "--out",
                out.toString(),
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
                "16",
                "--update-interval",
                "2",
                "--eval-every",
                "3",
                "--val-rows",
                "4",
                "--checkpoint-every",
                "6",
                "--log-every",
                "100",
                "--shard-cache-mb",
                "1");
        assertEquals(0, r.status(), r.err());
    }

    /** Two small jsonl domains, cl100k_base, context 15: a few dozen rows each, several shards on HDFS. */
    private Path spec() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        for (String d : List.of("a", "b")) {
            var sb = new StringBuilder();
            for (int i = 0; i < 150; i++)
                sb.append("{\"text\": \"Domain ")
                        .append(d)
                        .append(", document ")
                        .append(i)
                        .append(": the tide came in over the northern harbour wall before noon, ")
                        .append(d.repeat(i % 7 + 1))
                        .append(".\"}\n");
            Files.writeString(corpus.resolve(d + ".jsonl"), sb);
        }
        Path spec = dir.resolve("spec.yaml");
        Files.writeString(
                spec,
                "tokenizer: cl100k_base\ncontext: 15\nval_fraction: 0.1\ndomains:\n"
                        + "  - {name: a, format: jsonl, paths: [corpus/a.jsonl]}\n  - {name: b, format: jsonl, paths: [corpus/b.jsonl]}\n");
        return spec;
    }
}

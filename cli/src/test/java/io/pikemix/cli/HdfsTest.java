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
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A real HDFS: Hadoop's in-process mini cluster (one NameNode, one DataNode, hadoop-client-minicluster 3.3.4, the
 * client Spark 3.5.9 ships). {@code pike etl --out hdfs://...} writes the dataset there; {@code pike inspect},
 * {@code pike mixer serve} ({@code /v1/batch}), {@code pike train} and {@code pike eval} read it from there; the
 * served rows equal the local copy's, and the training losses, manifests and validation
 * losses equal, bit for bit (one ND4J thread, cli's surefire setting), those of the same run on a local copy.
 */
@Tag("spark")
@Tag("hdfs")
class HdfsTest {
    @TempDir
    Path dir;

    @Test
    void etlWritesToHdfs_trainingFromHdfsEqualsTrainingFromALocalCopy() throws Exception {
        var conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
        MiniDFSCluster cluster =
                new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        try {
            cluster.waitActive();
            String hdfs = "hdfs://127.0.0.1:" + cluster.getNameNodePort() + "/datasets/tiny";
            MainTest.Result etl = run(
                    "etl",
                    "--spec",
                    spec().toString(),
                    "--out",
                    hdfs,
                    "--master",
                    "local[1]",
                    "--progress-seconds",
                    "0");
            assertEquals(0, etl.status(), etl.err());

            FileSystem fs = cluster.getFileSystem();
            var remote = new org.apache.hadoop.fs.Path("/datasets/tiny");
            assertTrue(
                    fs.exists(new org.apache.hadoop.fs.Path(remote, DatasetInfo.FILE_NAME)), "dataset.json is on HDFS");
            Path local = dir.resolve("local");
            fs.copyToLocalFile(false, remote, new org.apache.hadoop.fs.Path(local.toUri()), true);
            DatasetInfo info = DatasetInfo.read(hdfs);
            assertEquals(DatasetInfo.read(local), info);
            assertTrue(info.domains().stream()
                    .allMatch(d -> d.split("train").shards().size() >= 1));
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
                var client =
                        new MixerClient(URI.create(server.url()), null, Duration.ofSeconds(5), Duration.ofSeconds(2));
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
                assertEquals(
                        b.get(s).get("loss").asDouble(), a.get(s).get("loss").asDouble(), 0.0, "loss at step " + s);
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
                    RunFiles.MAPPER
                            .readTree(fromHdfs.resolve("eval.json").toFile())
                            .get("val_loss"));
        } finally {
            cluster.shutdown();
        }
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
